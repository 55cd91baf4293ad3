using System.Globalization;
using System.Text.Json;
using Weft.ControlPlane.Api;

namespace Weft.Cli.Commands;

/// <summary>
/// `weft stat [workloads|services] [-n NS] [--from WORKLOAD] [--to WORKLOAD|SERVICE] [--window 1m | --sample D] [-o json]`:
/// golden signals — success rate, requests per second, latency percentiles, open TCP connections —
/// per workload or per service, from what the sidecars served (reporter destination). By default
/// over the last minute, which each sidecar keeps (see the proxy's MetricsHistory), so the answer
/// is immediate; --sample D measures the next D instead. No external system is needed.
/// </summary>
internal static class StatCommand
{
    public sealed record Stat(string Name, string Namespace, bool Meshed, long Requests, double? SuccessRate, double Rps,
        double? P50Ms, double? P95Ms, double? P99Ms, long TcpConnections, double WindowSeconds);

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellation)
    {
        var arguments = new CliArguments(args);
        var byService = arguments.Positionals is ["services" or "svc" or "service"];
        if (arguments.Positionals.Count > 1 || (arguments.Positionals.Count == 1 && !byService && arguments.Positionals[0] is not ("workloads" or "workload" or "deploy")))
        {
            throw new ArgumentException("usage: weft stat [workloads|services] [-n NS] [--from WORKLOAD] [--to WORKLOAD|SERVICE] [--window 1m | --sample 10s] [-o json]");
        }

        TimeSpan? sample = arguments["--sample"] is null ? null : arguments.Duration("--sample", null);
        var window = arguments.Duration("--window", TimeSpan.FromMinutes(1));
        try
        {
            using var client = MeshApiClient.Open(arguments.StateDirectory);
            var status = await client.GetStatusAsync(cancellation);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var sidecars = status.Workloads.Where(w => w.AdminPort is not null).ToList();
            var before = new Dictionary<string, (IReadOnlyList<MetricSeries> Series, DateTimeOffset TakenAt)>();
            foreach (var sidecar in sidecars)
            {
                if (await SidecarMetrics.FetchAsync(http, sidecar.AdminEndpoint!, sample is null ? window : null, cancellation) is { } past)
                {
                    before[Key(sidecar)] = past;
                }
            }

            if (sample is { } wait)
            {
                await Task.Delay(wait, cancellation);
            }

            var groups = new Dictionary<(string Namespace, string Name), Group>();
            foreach (var sidecar in sidecars)
            {
                if (!before.TryGetValue(Key(sidecar), out var past) || await SidecarMetrics.FetchAsync(http, sidecar.AdminEndpoint!, null, cancellation) is not { } now)
                {
                    continue;
                }

                var elapsed = Math.Max((now.TakenAt - past.TakenAt).TotalSeconds, 0.001);
                var pastValues = past.Series.Where(s => Selected(s, arguments)).ToLookup(Identity, s => s.Value);
                foreach (var series in now.Series.Where(s => Selected(s, arguments)))
                {
                    var key = byService
                        ? (series.Label("destination_service_namespace"), series.Label("destination_service_name"))
                        : (series.Label("destination_workload_namespace"), series.Label("destination_workload"));
                    if (!groups.TryGetValue(key, out var group))
                    {
                        groups[key] = group = new Group();
                    }

                    group.Add(series, series.Value - pastValues[Identity(series)].Sum(), elapsed);
                }
            }

            var stats = byService
                ? groups.Select(g => g.Value.ToStat(g.Key.Name, g.Key.Namespace, meshed: true)).ToList()
                : status.Workloads.Select(w => (groups.GetValueOrDefault((w.Namespace, w.Workload)) ?? new Group()).ToStat(w.Workload, w.Namespace, w.Meshed)).ToList();
            stats = [.. stats.Where(s => arguments["-n"] is not { } ns || s.Namespace == ns).OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal)];
            if (arguments["--to"] is { } to)
            {
                stats = [.. stats.Where(s => s.Name == to || $"{s.Namespace}/{s.Name}" == to)];
            }

            if (arguments.Json)
            {
                Console.WriteLine(JsonSerializer.Serialize(stats, ControlPlane.Hosting.ControlPlaneHost.JsonOptions));
                return 0;
            }

            Console.Write(TableWriter.Format(["NAME", "MESHED", "SUCCESS", "RPS", "LATENCY_P50", "LATENCY_P95", "LATENCY_P99", "TCP_CONN"], stats.Select(s => (IReadOnlyList<string>)
            [
                $"{s.Namespace}/{s.Name}",
                s.Meshed ? "yes" : "no",
                s.SuccessRate is { } rate ? rate.ToString("P2", CultureInfo.InvariantCulture) : "-",
                s.Rps.ToString("0.0", CultureInfo.InvariantCulture),
                Ms(s.P50Ms),
                Ms(s.P95Ms),
                Ms(s.P99Ms),
                s.TcpConnections.ToString(CultureInfo.InvariantCulture),
            ])));
            return 0;
        }
        catch (MeshNotRunningException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
    }

    private static string Key(WorkloadStatus workload) => $"{workload.Namespace}/{workload.Workload}";

    /// <summary>The series `stat` reads: served by a sidecar (reporter destination), from --from if given.</summary>
    private static bool Selected(MetricSeries series, CliArguments arguments) =>
        series.Label("reporter") == "destination"
        && series.Name is "istio_requests_total" or "istio_request_duration_milliseconds_bucket" or "istio_tcp_connections_opened_total" or "istio_tcp_connections_closed_total"
        && (arguments["--from"] is not { } from || series.Label("source_workload") == from || $"{series.Label("source_workload_namespace")}/{series.Label("source_workload")}" == from);

    /// <summary>A series' name and labels: what matches it across two scrapes.</summary>
    private static string Identity(MetricSeries series) => series.Name + "{" + string.Join(",", series.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}";

    private static string Ms(double? value) => value is { } ms ? ms.ToString("0.##", CultureInfo.InvariantCulture) + "ms" : "-";

    /// <summary>What one workload or service served in the window, summed over the sidecars that report it.</summary>
    private sealed class Group
    {
        private readonly Dictionary<string, double> _byCode = new(StringComparer.Ordinal);
        private readonly SortedDictionary<double, double> _buckets = [];
        private double _rps;
        private double _openConnections;
        private double _window;

        public void Add(MetricSeries series, double delta, double elapsedSeconds)
        {
            _window = Math.Max(_window, elapsedSeconds);
            switch (series.Name)
            {
                case "istio_requests_total":
                    var code = series.Label("response_code");
                    _byCode[code] = _byCode.GetValueOrDefault(code) + delta;
                    _rps += delta / elapsedSeconds;
                    break;
                case "istio_request_duration_milliseconds_bucket":
                    var le = series.Label("le") == "+Inf" ? double.PositiveInfinity : double.Parse(series.Label("le"), CultureInfo.InvariantCulture);
                    _buckets[le] = _buckets.GetValueOrDefault(le) + delta;
                    break;
                case "istio_tcp_connections_opened_total":
                    _openConnections += series.Value; // open now: opened minus closed, whatever the window
                    break;
                case "istio_tcp_connections_closed_total":
                    _openConnections -= series.Value;
                    break;
            }
        }

        public Stat ToStat(string name, string @namespace, bool meshed)
        {
            var requests = _byCode.Values.Sum();
            var failed = _byCode.Where(c => c.Key.StartsWith('5')).Sum(c => c.Value);
            var buckets = _buckets.Select(b => (Le: b.Key, Count: b.Value)).ToList();
            return new Stat(name, @namespace, meshed, (long)Math.Round(requests), requests > 0 ? (requests - failed) / requests : null, _rps,
                Quantile(buckets, 0.50), Quantile(buckets, 0.95), Quantile(buckets, 0.99), (long)Math.Max(0, _openConnections), Math.Round(_window, 1));
        }
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
