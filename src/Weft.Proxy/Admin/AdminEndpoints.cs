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
internal sealed class AdminEndpoints(
    ProxyConfigStore store,
    CredentialStore credentials,
    RequestMetrics metrics,
    ProxyCounters counters,
    TcpMetrics tcp,
    Telemetry.Tracing.TraceExport tracing,
    RequestRecorder recorder,
    LogLevelSwitch logLevel,
    RequestTap tap,
    MetricsHistory history,
    Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime)
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
                context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                // ?ago=60: the metrics as they were about that many seconds ago (see MetricsHistory), for `weft stat`.
                if (double.TryParse(context.Request.Query["ago"], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ago)
                    && history.Before(TimeSpan.FromSeconds(ago)) is { } past)
                {
                    context.Response.Headers["x-weft-metrics-taken-at"] = past.At.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
                    await context.Response.WriteAsync(past.Text);
                    return;
                }

                context.Response.Headers["x-weft-metrics-taken-at"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
                await context.Response.WriteAsync(RenderMetrics());
                return;
            case "/clusters":
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(ClusterState());
                return;
            case "/config_dump":
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(ConfigDump());
                return;
            case "/tap":
                // JSON lines: the kept recent requests (?recent=1, filtered by ?reason=), or a live stream.
                context.Response.ContentType = "application/x-ndjson";
                var reason = context.Request.Query["reason"].ToString();
                if (context.Request.Query.ContainsKey("recent"))
                {
                    foreach (var entry in tap.Recent())
                    {
                        if (reason.Length == 0 || entry.Reason == reason)
                        {
                            await context.Response.WriteAsync(RequestTap.ToJson(entry) + "\n");
                        }
                    }

                    return;
                }

                await context.Response.StartAsync();
                // A watcher must not hold up the proxy's shutdown.
                using (var watching = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping))
                try
                {
                    await foreach (var entry in tap.WatchAsync(watching.Token))
                    {
                        if (reason.Length == 0 || entry.Reason == reason)
                        {
                            await context.Response.WriteAsync(RequestTap.ToJson(entry) + "\n", watching.Token);
                            await context.Response.Body.FlushAsync(watching.Token);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    // the watcher went away
                }

                return;
            case "/quitquitquit":
                if (await RefuseUnlessLocalPostAsync(context))
                {
                    return;
                }

                // As Envoy's: the proxy stops taking connections, lets requests in flight finish, and exits.
                await context.Response.WriteAsync("stopping\n");
                lifetime.StopApplication();
                return;
            case "/logging":
                if (context.Request.Method == HttpMethods.Post)
                {
                    if (await RefuseUnlessLocalPostAsync(context))
                    {
                        return;
                    }

                    if (!Enum.TryParse<Microsoft.Extensions.Logging.LogLevel>(context.Request.Query["level"], ignoreCase: true, out var level)
                        || !Enum.IsDefined(level))
                    {
                        context.Response.StatusCode = 400;
                        await context.Response.WriteAsync("level must be one of trace, debug, information, warning, error, critical, none\n");
                        return;
                    }

                    logLevel.Level = level;
                }

                await context.Response.WriteAsync($"level: {logLevel.Level.ToString().ToLowerInvariant()}\n");
                return;
            case { } path when path.StartsWith(AppHealthPrefix, StringComparison.Ordinal):
                await ProbeAppAsync(context, path);
                return;
            default:
                context.Response.StatusCode = 404;
                await context.Response.WriteAsync("weft proxy admin: /ready /healthz /metrics /config_dump /clusters /tap /logging /app-health/PORT/PATH; POST /quitquitquit, POST /logging?level=L\n");
                return;
        }
    }

    private const string AppHealthPrefix = "/app-health/";

    private static readonly HttpClient AppProbes = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>
    /// /app-health/PORT/PATH: the kubelet's HTTP probe of the app, which the injector points here —
    /// the admin port is not captured, so a probe works even where STRICT refuses plaintext on the
    /// app's port. Only a port the workload declares, only to the app's own address; the answer is
    /// the app's status.
    /// </summary>
    private async Task ProbeAppAsync(HttpContext context, string path)
    {
        var rest = path[AppHealthPrefix.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var portText = slash < 0 ? rest : rest[..slash];
        var inbound = int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
            ? store.Current?.Config.Inbound.FirstOrDefault(p => p.Port == port)
            : null;
        if (inbound is null)
        {
            context.Response.StatusCode = 404;
            await context.Response.WriteAsync($"weft: no declared workload port {portText}\n");
            return;
        }

        try
        {
            using var response = await AppProbes.GetAsync($"http://{inbound.AppAddress}{(slash < 0 ? "/" : rest[slash..])}{context.Request.QueryString}", context.RequestAborted);
            context.Response.StatusCode = (int)response.StatusCode;
        }
        catch (HttpRequestException e)
        {
            context.Response.StatusCode = 503;
            await context.Response.WriteAsync($"weft: the app at {inbound.AppAddress} does not answer: {e.Message}\n");
        }
    }

    /// <summary>The Prometheus exposition of everything the proxy measures, as of now.</summary>
    public string RenderMetrics()
    {
        counters.SetConfigVersion(store.Current?.Version);
        counters.SetCertificateExpiry(credentials.Current?.NotAfter);
        counters.SetEjected([.. (store.Current?.Routes.Clusters ?? []).Where(c => c.Outlier is not null)
            .Select(c => (c.Name, c.Endpoints.Length - c.AvailableEndpoints.Length))]);
        var text = new StringWriter();
        PrometheusTextWriter.Write(text, metrics, counters, tcp, tracing, recorder.AccessLog);
        return text.ToString();
    }

    /// <summary>
    /// Endpoints that change the proxy's state take POST from loopback only, whatever address the
    /// admin port listens on, so a scraper reaching /metrics cannot stop the proxy.
    /// </summary>
    private static async Task<bool> RefuseUnlessLocalPostAsync(HttpContext context)
    {
        if (context.Request.Method != HttpMethods.Post)
        {
            context.Response.StatusCode = 405;
            context.Response.Headers.Allow = "POST";
            await context.Response.WriteAsync($"{context.Request.Path} changes the proxy: use POST\n");
            return true;
        }

        if (context.Connection.RemoteIpAddress is not { } address || !System.Net.IPAddress.IsLoopback(address))
        {
            context.Response.StatusCode = 403;
            await context.Response.WriteAsync($"{context.Request.Path} is accepted from loopback only\n");
            return true;
        }

        return false;
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
                endpoints.Add((System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
                {
                    ["address"] = endpoint.Address,
                    ["workload"] = endpoint.Workload,
                    ["namespace"] = endpoint.Namespace,
                    ["identity"] = endpoint.SpiffeId,
                    ["outstanding"] = endpoint.Outstanding,
                    ["latencyEwmaMs"] = Math.Round(endpoint.CurrentLatencyMs(), 3),
                });
            }

            clusters.Add((System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
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
                .Append("\",\"issuer\":").Append(System.Text.Json.Nodes.JsonValue.Create(creds.Leaf.Issuer).ToJsonString())
                .Append(",\"roots\":[").AppendJoin(',', creds.TrustBundle.Select(r => System.Text.Json.Nodes.JsonValue.Create(r.Subject).ToJsonString())).Append("]}");
        }

        builder.Append(",\"config\":").Append(current is null ? "null" : new JsonFormatter(JsonFormatter.Settings.Default.WithFormatDefaultValues(true)).Format(current.Config));
        var runtime = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new System.Text.Json.Utf8JsonWriter(runtime))
        {
            RuntimeFacts.Write(json);
        }

        builder.Append(",\"runtime\":").Append(Encoding.UTF8.GetString(runtime.WrittenSpan));
        builder.Append('}');
        return builder.ToString();
    }
}
