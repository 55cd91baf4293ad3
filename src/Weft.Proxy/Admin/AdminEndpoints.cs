using System.Text;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Weft.Proxy.Configuration;
using Weft.Proxy.Telemetry;
using Weft.Proxy.Tls;

namespace Weft.Proxy.Admin;

/// <summary>
/// The proxy's admin port: readiness, Prometheus metrics and the config it actually runs — what
/// `weft check` and `weft proxy-config` read, and what Prometheus scrapes.
/// </summary>
internal sealed class AdminEndpoints(ProxyConfigStore store, CredentialStore credentials, RequestMetrics metrics, ProxyCounters counters,
    TcpMetrics tcp, Telemetry.Tracing.TraceExport tracing, RequestRecorder recorder)
{
    public async Task HandleAsync(HttpContext context)
    {
        switch (context.Request.Path.Value)
        {
            case "/ready":
                var problem = store.Current is null ? "no config from the control plane yet"
                    : credentials.Current is null ? "no workload certificate yet"
                    : null;
                context.Response.StatusCode = problem is null ? 200 : 503;
                await context.Response.WriteAsync(problem is null ? $"ready (config version {store.Current!.Version})\n" : $"not ready: {problem}\n");
                return;
            case "/healthz":
                await context.Response.WriteAsync("ok\n");
                return;
            case "/metrics":
                counters.SetConfigVersion(store.Current?.Version);
                counters.SetCertificateExpiry(credentials.Current?.NotAfter);
                context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                var text = new StringWriter();
                PrometheusTextWriter.Write(text, metrics, counters, tcp, tracing, recorder.AccessLog);
                await context.Response.WriteAsync(text.ToString());
                return;
            case "/clusters":
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(ClusterState());
                return;
            case "/config_dump":
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(ConfigDump());
                return;
            default:
                context.Response.StatusCode = 404;
                await context.Response.WriteAsync("weft proxy admin: /ready /healthz /metrics /config_dump /clusters\n");
                return;
        }
    }

    /// <summary>Live endpoint state per cluster: what the load balancer sees right now.</summary>
    private string ClusterState()
    {
        var clusters = new System.Text.Json.Nodes.JsonArray();
        foreach (var cluster in store.Current?.Routes.Clusters ?? [])
        {
            var endpoints = new System.Text.Json.Nodes.JsonArray();
            foreach (var endpoint in cluster.Endpoints)
            {
                endpoints.Add(new System.Text.Json.Nodes.JsonObject
                {
                    ["address"] = endpoint.Address,
                    ["workload"] = endpoint.Workload,
                    ["namespace"] = endpoint.Namespace,
                    ["identity"] = endpoint.SpiffeId,
                    ["outstanding"] = endpoint.Outstanding,
                    ["latencyEwmaMs"] = Math.Round(endpoint.CurrentLatencyMs(), 3),
                });
            }

            clusters.Add(new System.Text.Json.Nodes.JsonObject
            {
                ["name"] = cluster.Name,
                ["loadBalancer"] = cluster.LoadBalancer.GetType().Name.Replace("LoadBalancer", "", StringComparison.Ordinal),
                ["mtls"] = cluster.Mtls,
                ["endpoints"] = endpoints,
            });
        }

        return clusters.ToJsonString();
    }

    private string ConfigDump()
    {
        var current = store.Current;
        var creds = credentials.Current;
        var builder = new StringBuilder();
        builder.Append("{\"version\":").Append(JsonFormatter.ToDiagnosticString(new Google.Protobuf.WellKnownTypes.Value { StringValue = current?.Version ?? "" }));
        builder.Append(",\"certificate\":");
        if (creds is null)
        {
            builder.Append("null");
        }
        else
        {
            builder.Append("{\"spiffeId\":\"").Append(creds.SpiffeId)
                .Append("\",\"serial\":\"").Append(creds.Leaf.SerialNumber)
                .Append("\",\"notBefore\":\"").Append(creds.NotBefore.ToString("O"))
                .Append("\",\"notAfter\":\"").Append(creds.NotAfter.ToString("O"))
                .Append("\",\"roots\":[").AppendJoin(',', creds.TrustBundle.Select(r => System.Text.Json.JsonSerializer.Serialize(r.Subject))).Append("]}");
        }

        builder.Append(",\"config\":").Append(current is null ? "null" : new JsonFormatter(JsonFormatter.Settings.Default.WithFormatDefaultValues(true)).Format(current.Config));
        builder.Append('}');
        return builder.ToString();
    }
}
