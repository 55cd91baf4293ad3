using System.Globalization;
using System.Text.RegularExpressions;

namespace Weft.Cli.Commands;

/// <summary>One series of a sidecar's Prometheus exposition.</summary>
internal sealed record MetricSeries(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string Label(string name) => Labels.GetValueOrDefault(name) ?? "";
}

/// <summary>Reads the Istio series of the sidecars' /metrics, which the CLI's traffic views are built from.</summary>
internal static partial class SidecarMetrics
{
    /// <summary>A sidecar's series, or null when it does not answer (`weft check` says why).</summary>
    public static async Task<IReadOnlyList<MetricSeries>?> ScrapeAsync(HttpClient http, string admin, CancellationToken cancellation)
    {
        try
        {
            return Parse(await http.GetStringAsync($"http://{admin}/metrics", cancellation));
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>
    /// A sidecar's series now, or as they were about <paramref name="ago"/> before (the sidecar keeps a
    /// minute of history), with when they were taken; null when it does not answer.
    /// </summary>
    public static async Task<(IReadOnlyList<MetricSeries> Series, DateTimeOffset TakenAt)?> FetchAsync(HttpClient http, string admin, TimeSpan? ago, CancellationToken cancellation)
    {
        var query = ago is { } a ? "?ago=" + a.TotalSeconds.ToString(CultureInfo.InvariantCulture) : "";
        try
        {
            using var response = await http.GetAsync($"http://{admin}/metrics{query}", cancellation);
            response.EnsureSuccessStatusCode();
            var takenAt = response.Headers.TryGetValues("x-weft-metrics-taken-at", out var values) && long.TryParse(values.First(), out var ms)
                ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
                : DateTimeOffset.UtcNow;
            return (Parse(await response.Content.ReadAsStringAsync(cancellation)), takenAt);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    public static List<MetricSeries> Parse(string exposition)
    {
        var series = new List<MetricSeries>();
        foreach (Match line in SeriesLine().Matches(exposition))
        {
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in LabelPair().Matches(line.Groups["labels"].Value))
            {
                labels[label.Groups[1].Value] = label.Groups[2].Value;
            }

            if (double.TryParse(line.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                series.Add(new MetricSeries(line.Groups["name"].Value, labels, value));
            }
        }

        return series;
    }

    [GeneratedRegex(@"^(?<name>(?:istio|weft)_[a-z_]+)\{(?<labels>[^}]*)\} (?<value>\S+)$", RegexOptions.Multiline)]
    private static partial Regex SeriesLine();

    [GeneratedRegex(@"([a-z_]+)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}
