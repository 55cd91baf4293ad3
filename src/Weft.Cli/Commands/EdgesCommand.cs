using System.Globalization;
using System.Text.Json;

namespace Weft.Cli.Commands;

/// <summary>
/// `weft edges [-n NS] [-o json]`: who talks to whom — every (source, destination) pair the
/// destination sidecars have served, with both identities and whether the connection was mTLS.
/// Read from the sidecars' own metrics (reporter destination, which knows the verified peer).
/// </summary>
internal static class EdgesCommand
{
    public sealed record Edge(string Source, string Destination, string SourceIdentity, string DestinationIdentity, bool MutualTls, long Requests, long Connections);

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellation)
    {
        var arguments = new CliArguments(args);
        try
        {
            using var client = MeshApiClient.Open(arguments.StateDirectory);
            var status = await client.GetStatusAsync(cancellation);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var edges = new Dictionary<(string, string, string, string, bool), (double Requests, double Connections)>();
            foreach (var workload in status.Workloads.Where(w => w.AdminPort is not null))
            {
                foreach (var series in await SidecarMetrics.ScrapeAsync(http, workload.AdminEndpoint!, cancellation) ?? [])
                {
                    var requests = series.Name == "istio_requests_total";
                    if (series.Label("reporter") != "destination" || !(requests || series.Name == "istio_tcp_connections_opened_total"))
                    {
                        continue;
                    }

                    var key = (
                        Name(series.Label("source_workload"), series.Label("source_workload_namespace")),
                        Name(series.Label("destination_workload"), series.Label("destination_workload_namespace")),
                        Identity(series.Label("source_principal")),
                        Identity(series.Label("destination_principal")),
                        series.Label("connection_security_policy") == "mutual_tls");
                    if (arguments["-n"] is { } ns && !key.Item1.StartsWith(ns + "/", StringComparison.Ordinal) && !key.Item2.StartsWith(ns + "/", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    var current = edges.GetValueOrDefault(key);
                    edges[key] = requests ? (current.Requests + series.Value, current.Connections) : (current.Requests, current.Connections + series.Value);
                }
            }

            var rows = edges.Select(e => new Edge(e.Key.Item1, e.Key.Item2, e.Key.Item3, e.Key.Item4, e.Key.Item5, (long)e.Value.Requests, (long)e.Value.Connections))
                .OrderBy(e => e.Source, StringComparer.Ordinal).ThenBy(e => e.Destination, StringComparer.Ordinal).ToList();
            if (arguments.Json)
            {
                Console.WriteLine(JsonSerializer.Serialize(rows, ControlPlane.Hosting.ControlPlaneHost.JsonOptions));
                return 0;
            }

            Console.Write(TableWriter.Format(["SRC", "DST", "SRC_IDENTITY", "DST_IDENTITY", "SECURED", "REQUESTS", "TCP_CONNECTIONS"], rows.Select(e => (IReadOnlyList<string>)
            [
                e.Source,
                e.Destination,
                e.SourceIdentity,
                e.DestinationIdentity,
                e.MutualTls ? "√ mTLS" : "× plaintext",
                e.Requests.ToString(CultureInfo.InvariantCulture),
                e.Connections.ToString(CultureInfo.InvariantCulture),
            ])));
            return 0;
        }
        catch (MeshNotRunningException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
    }

    private static string Name(string workload, string ns) => workload is "" or "unknown" ? "(unknown)" : $"{ns}/{workload}";

    private static string Identity(string principal) => principal is "" or "unknown" ? "-" : principal;
}
