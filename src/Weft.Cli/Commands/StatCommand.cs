using System.Globalization;
using System.Text.Json;

namespace Weft.Cli.Commands;

/// <summary>
/// `weft stat [--window 10s] [-n NS] [-o json]`: golden signals per workload — success rate,
/// requests per second and latency percentiles — from what every sidecar served (reporter
/// destination) during the window, read from the sidecars' own metrics: no external system needed.
/// </summary>
internal static class StatCommand
{
    public sealed record WorkloadStat(string Workload, string Namespace, bool Meshed, long Requests, double? SuccessRate, double Rps, double? P50Ms, double? P95Ms, double? P99Ms);

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellation)
    {
        var arguments = new CliArguments(args);
        var window = arguments.Duration("--window", TimeSpan.FromSeconds(10));
        try
        {
            using var client = MeshApiClient.Open(arguments.StateDirectory);
            var status = await client.GetStatusAsync(cancellation);
            var workloads = status.Workloads.Where(w => arguments["-n"] is not { } ns || w.Namespace == ns).ToList();
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var before = await ScrapeAsync(http, workloads, cancellation);
            await Task.Delay(window, cancellation);
            var after = await ScrapeAsync(http, workloads, cancellation);

            var stats = workloads.Select(w => Compute(w, before.GetValueOrDefault(w.Workload + "." + w.Namespace), after.GetValueOrDefault(w.Workload + "." + w.Namespace), window)).ToList();
            if (arguments.Json)
            {
                Console.WriteLine(JsonSerializer.Serialize(stats, ControlPlane.Hosting.ControlPlaneHost.JsonOptions));
                return 0;
            }

            Console.Write(TableWriter.Format(["NAME", "MESHED", "SUCCESS", "RPS", "LATENCY_P50", "LATENCY_P95", "LATENCY_P99"], stats.Select(s => (IReadOnlyList<string>)
            [
                $"{s.Namespace}/{s.Workload}",
                s.Meshed ? "yes" : "no",
                s.SuccessRate is { } rate ? rate.ToString("P2", CultureInfo.InvariantCulture) : "-",
                s.Rps.ToString("0.0", CultureInfo.InvariantCulture),
                Ms(s.P50Ms),
                Ms(s.P95Ms),
                Ms(s.P99Ms),
            ])));
            return 0;
        }
        catch (MeshNotRunningException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
    }

    private static string Ms(double? value) => value is { } ms ? ms.ToString("0.##", CultureInfo.InvariantCulture) + "ms" : "-";

    /// <summary>Per destination workload: requests by response code, and the latency histogram (cumulative buckets by le).</summary>
    private sealed record Sample(Dictionary<string, double> ByCode, SortedDictionary<double, double> Buckets);

    private static async Task<Dictionary<string, Sample>> ScrapeAsync(HttpClient http, List<ControlPlane.Api.WorkloadStatus> workloads, CancellationToken cancellation)
    {
        var samples = new Dictionary<string, Sample>(StringComparer.Ordinal);
        foreach (var workload in workloads.Where(w => w.AdminPort is not null))
        {
            foreach (var series in await SidecarMetrics.ScrapeAsync(http, workload.AdminPort!.Value, cancellation) ?? [])
            {
                if (series.Label("reporter") != "destination" || series.Name is not ("istio_requests_total" or "istio_request_duration_milliseconds_bucket"))
                {
                    continue;
                }

                var key = series.Label("destination_workload") + "." + series.Label("destination_workload_namespace");
                if (!samples.TryGetValue(key, out var sample))
                {
                    samples[key] = sample = new Sample(new(StringComparer.Ordinal), new());
                }

                if (series.Name == "istio_requests_total")
                {
                    var code = series.Labels.GetValueOrDefault("response_code") ?? "0";
                    sample.ByCode[code] = sample.ByCode.GetValueOrDefault(code) + series.Value;
                }
                else
                {
                    var le = series.Label("le") == "+Inf" ? double.PositiveInfinity : double.Parse(series.Label("le"), CultureInfo.InvariantCulture);
                    sample.Buckets[le] = sample.Buckets.GetValueOrDefault(le) + series.Value;
                }
            }
        }

        return samples;
    }

    private static WorkloadStat Compute(ControlPlane.Api.WorkloadStatus workload, Sample? before, Sample? after, TimeSpan window)
    {
        if (after is null)
        {
            return new WorkloadStat(workload.Workload, workload.Namespace, workload.Meshed, 0, null, 0, null, null, null);
        }

        double Delta(string code) => after.ByCode.GetValueOrDefault(code) - (before?.ByCode.GetValueOrDefault(code) ?? 0);
        var requests = after.ByCode.Keys.Sum(Delta);
        var failed = after.ByCode.Keys.Where(c => c.StartsWith('5')).Sum(Delta);
        var buckets = after.Buckets.Select(b => (Le: b.Key, Count: b.Value - (before?.Buckets.GetValueOrDefault(b.Key) ?? 0))).ToList();
        return new WorkloadStat(
            workload.Workload,
            workload.Namespace,
            workload.Meshed,
            (long)requests,
            requests > 0 ? (requests - failed) / requests : null,
            requests / window.TotalSeconds,
            Quantile(buckets, 0.50),
            Quantile(buckets, 0.95),
            Quantile(buckets, 0.99));
    }

    /// <summary>Prometheus' histogram_quantile: linear interpolation inside the bucket that holds the rank.</summary>
    private static double? Quantile(List<(double Le, double Count)> buckets, double q)
    {
        var total = buckets.Count > 0 ? buckets[^1].Count : 0;
        if (total <= 0)
        {
            return null;
        }

        var rank = q * total;
        double lowerBound = 0, lowerCount = 0;
        foreach (var (le, count) in buckets)
        {
            if (count >= rank)
            {
                return double.IsPositiveInfinity(le) ? lowerBound : lowerBound + ((le - lowerBound) * (rank - lowerCount) / Math.Max(count - lowerCount, 1e-9));
            }

            (lowerBound, lowerCount) = (le, count);
        }

        return lowerBound;
    }
}
