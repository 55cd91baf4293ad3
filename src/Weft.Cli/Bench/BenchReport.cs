using System.Globalization;
using System.Text;

namespace Weft.Cli.Bench;

/// <summary>A run's summary as the terminal shows it; -o json serializes the summary itself.</summary>
internal static class BenchReport
{
    public static string Text(BenchSummary s)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"weft bench {s.Target} {Via(s)}, HTTP/{s.Http}, {BenchOptions.Format(s.Rate)} rps for {Seconds(s.DurationSeconds)} over {s.Connections} connection{(s.Connections == 1 ? "" : "s")}");
        text.Append(s.WarmupSeconds > 0 ? $", after {Seconds(s.WarmupSeconds)} of warm-up\n" : "\n");
        if (s.WasInterrupted)
        {
            text.Append(CultureInfo.InvariantCulture, $"interrupted after {Seconds(s.MeasuredSeconds)} of the measured {Seconds(s.DurationSeconds)}: the figures cover what was measured until then");
            text.Append(s.Interrupted > 0 ? $" ({s.Interrupted} requests still in flight are left out)\n" : "\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"requests   {s.Sent} sent of {s.Scheduled} scheduled, {s.Ok} ok, {s.Errors} errors; achieved {s.AchievedRps:0.0} rps\n");
        text.Append(s.LatencyUs is { } l
            ? $"latency    p50 {Ms(l.P50)}  p90 {Ms(l.P90)}  p99 {Ms(l.P99)}  p99.9 {Ms(l.P999)}  max {Ms(l.Max)}  (ok requests, from the scheduled send time)\n"
            : "latency    - (no request succeeded)\n");
        text.Append("errors     ").Append(Errors(s)).Append('\n');
        if (s.FirstConnectionError is { } first)
        {
            text.Append("           first connection error: ").Append(first).Append('\n');
        }

        if (s.SendLagUs is { } lag)
        {
            text.Append(CultureInfo.InvariantCulture, $"send lag   p50 {Ms(lag.P50)}  p99 {Ms(lag.P99)}  max {Ms(lag.Max)}; at most {s.MaxInFlight} requests in flight\n");
        }

        if (s.FellBehind)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"WARNING: the generator fell behind its schedule: {Percent(s.LateSends, s.Sent)} of the requests were sent more than {BenchSummary.LateThresholdMs:0.#}ms after they were due (send lag above). ");
            text.Append(CultureInfo.InvariantCulture,
                $"Latencies are still measured from the due time, so they include that delay, and the target got bursts instead of an even {BenchOptions.Format(s.Rate)} rps. Lower --rate, or run where the generator has a CPU to itself.\n");
        }

        return text.ToString();
    }

    private static string Via(BenchSummary s) =>
        s.From is { } from ? $"from {from} (through its sidecar on 127.0.0.1:{s.SidecarPort}, {s.Identity})" : "direct";

    private static string Errors(BenchSummary s)
    {
        if (s.Errors == 0)
        {
            return "none";
        }

        var parts = new List<string>();
        foreach (var (status, count) in s.StatusErrors)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"HTTP {status}: {count}"));
        }

        parts.Add(string.Create(CultureInfo.InvariantCulture, $"connection: {s.ConnectionErrors}"));
        parts.Add(string.Create(CultureInfo.InvariantCulture, $"timeout ({Seconds(s.TimeoutSeconds)}): {s.Timeouts}"));
        return string.Join(", ", parts);
    }

    /// <summary>Milliseconds with as many decimals as the microsecond figures carry.</summary>
    private static string Ms(double microseconds) => (microseconds / 1000).ToString("0.###", CultureInfo.InvariantCulture) + "ms";

    private static string Seconds(double seconds) => seconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";

    private static string Percent(long part, long whole) => (whole == 0 ? 0 : 100.0 * part / whole).ToString("0.#", CultureInfo.InvariantCulture) + "%";
}
