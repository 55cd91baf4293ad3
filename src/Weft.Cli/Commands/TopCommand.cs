using System.Globalization;
using System.Text.Json;

namespace Weft.Cli.Commands;

/// <summary>
/// `weft top WORKLOAD [--duration 5s] [-o json]`: the busiest paths through WORKLOAD's sidecar —
/// requests, success rate and latency per direction, method, authority and path — from its tap
/// stream. On a terminal without --duration it redraws every two seconds until Ctrl-C; otherwise
/// it prints the table once, after the duration (default 5s).
/// </summary>
internal static class TopCommand
{
    public sealed record PathStat(string Direction, string Method, string Authority, string Path, int Requests, double SuccessRate, double P50Ms, double MaxMs);

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellation)
    {
        var arguments = new CliArguments(args);
        if (arguments.Positionals.Count != 1)
        {
            throw new ArgumentException("usage: weft top WORKLOAD [-n NAMESPACE] [--duration 5s] [-o json]");
        }

        var live = arguments["--duration"] is null && !arguments.Json && !Console.IsOutputRedirected;
        var window = live ? Timeout.InfiniteTimeSpan : arguments.Duration("--duration", TimeSpan.FromSeconds(5));
        try
        {
            using var client = MeshApiClient.Open(arguments.StateDirectory);
            var (_, admin) = WorkloadFinder.FindWithSidecar(await client.GetStatusAsync(cancellation), arguments.Positionals[0], arguments["-n"]);
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timer.CancelAfter(window);
            var seen = new Dictionary<(string, string, string, string), List<(int Status, double Ms)>>();
            var redrawn = DateTime.UtcNow;
            await foreach (var entry in TapCommand.FollowAsync(admin, timer.Token))
            {
                if (live && DateTime.UtcNow - redrawn > TimeSpan.FromSeconds(2))
                {
                    Console.Clear();
                    Console.Write(Table(Rows(seen)));
                    redrawn = DateTime.UtcNow;
                }

                var key = (entry.GetProperty("reporter").GetString() == "destination" ? "in" : "out", entry.Text("method"), entry.Text("authority"), entry.Text("path"));
                if (!seen.TryGetValue(key, out var list))
                {
                    seen[key] = list = [];
                }

                list.Add((entry.GetProperty("status").GetInt32(), entry.GetProperty("durationMs").GetDouble()));
            }

            cancellation.ThrowIfCancellationRequested();
            var rows = Rows(seen);

            if (arguments.Json)
            {
                Console.WriteLine(JsonSerializer.Serialize(rows, ControlPlane.Hosting.ControlPlaneHost.JsonOptions));
                return 0;
            }

            Console.Write(Table(rows));
            return 0;
        }
        catch (MeshNotRunningException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
    }

    private static List<PathStat> Rows(Dictionary<(string, string, string, string), List<(int Status, double Ms)>> seen) =>
        [.. seen.Select(p =>
        {
            var latencies = p.Value.Select(v => v.Ms).Order().ToList();
            return new PathStat(p.Key.Item1, p.Key.Item2, p.Key.Item3, p.Key.Item4, p.Value.Count,
                (double)p.Value.Count(v => v.Status is > 0 and < 500) / p.Value.Count, latencies[(latencies.Count - 1) / 2], latencies[^1]);
        }).OrderByDescending(r => r.Requests).ThenBy(r => r.Path, StringComparer.Ordinal)];

    private static string Table(List<PathStat> rows) =>
        TableWriter.Format(["DIR", "METHOD", "AUTHORITY", "PATH", "REQUESTS", "SUCCESS", "LATENCY_P50", "LATENCY_MAX"], rows.Select(r => (IReadOnlyList<string>)
        [
            r.Direction,
            r.Method,
            r.Authority,
            r.Path,
            r.Requests.ToString(CultureInfo.InvariantCulture),
            r.SuccessRate.ToString("P1", CultureInfo.InvariantCulture),
            r.P50Ms.ToString("0.##", CultureInfo.InvariantCulture) + "ms",
            r.MaxMs.ToString("0.##", CultureInfo.InvariantCulture) + "ms",
        ]));

}
