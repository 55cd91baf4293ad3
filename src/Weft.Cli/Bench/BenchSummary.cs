using HdrHistogram;

namespace Weft.Cli.Bench;

/// <summary>Latency percentiles of the successful requests, in microseconds, from the scheduled send time.</summary>
internal sealed record BenchLatency(double P50, double P90, double P99, double P999, double Max, double Mean);

/// <summary>How late the generator handed requests to the HTTP client, in microseconds.</summary>
internal sealed record BenchSendLag(double P50, double P99, double Max);

/// <summary>Where the requests went: straight to the URL, or through a workload's sidecar.</summary>
/// <param name="From">The workload (namespace/name) whose sidecar the requests went through, or null when direct.</param>
/// <param name="SidecarPort">That sidecar's outbound port on 127.0.0.1.</param>
/// <param name="Identity">The workload's SPIFFE identity, which its sidecar presents.</param>
internal sealed record BenchRoute(string? From, int? SidecarPort, string? Identity)
{
    public static readonly BenchRoute Direct = new(null, null, null);
}

/// <summary>
/// One run's result, with the definitions of the shared harness (bench/peer-baseline.sh and its
/// loadgen): 2xx/3xx succeed and only they enter the latency percentiles; errors are other
/// statuses, connection failures and requests unanswered within the timeout; achieved rps is
/// successes over the longer of the measured window and the time to the last success.
/// </summary>
internal sealed record BenchSummary(
    string Target,
    string? From,
    int? SidecarPort,
    string? Identity,
    string Http,
    double Rate,
    int Connections,
    double DurationSeconds,
    double WarmupSeconds,
    double TimeoutSeconds,
    long Scheduled,
    long Sent,
    long Ok,
    long Errors,
    IReadOnlyDictionary<int, long> StatusErrors,
    long ConnectionErrors,
    long Timeouts,
    string? FirstConnectionError,
    long Interrupted,
    double MeasuredSeconds,
    double AchievedRps,
    BenchLatency? LatencyUs,
    BenchSendLag? SendLagUs,
    long LateSends,
    bool FellBehind,
    int MaxInFlight,
    bool WasInterrupted)
{
    /// <summary>A request handed to the client later than this after its due time was sent late.</summary>
    public const double LateThresholdMs = 1;

    /// <summary>More than this share of late sends means the generator did not keep to its schedule.</summary>
    public const double BehindShare = 0.01;

    /// <param name="scheduled">Requests the measured window was to send: rate × duration.</param>
    public static BenchSummary Of(BenchOptions options, BenchRoute route, long scheduled, BenchMeasurement measured)
    {
        var ok = measured.Latency.TotalCount;
        var statusErrors = measured.StatusErrors.Values.Sum();

        // Sent but never accounted for: still running when the wait for stragglers ended.
        var unanswered = Math.Max(0, measured.Sent - ok - statusErrors - measured.ConnectionErrors - measured.Timeouts - measured.Interrupted);
        var timeouts = measured.Timeouts + (measured.WasInterrupted ? 0 : unanswered);
        var interrupted = measured.Interrupted + (measured.WasInterrupted ? unanswered : 0);
        var lateSends = CountAbove(measured.SendLag, (long)(LateThresholdMs * 1_000_000));
        var span = Math.Max(measured.WindowSeconds, measured.LastSuccessSeconds);

        return new BenchSummary(
            options.Target.ToString(),
            route.From,
            route.SidecarPort,
            route.Identity,
            options.Http == BenchHttpVersion.Http2 ? "2" : "1.1",
            options.Rate,
            options.Connections,
            options.Duration.TotalSeconds,
            options.Warmup.TotalSeconds,
            options.Timeout.TotalSeconds,
            scheduled,
            measured.Sent,
            ok,
            statusErrors + measured.ConnectionErrors + timeouts,
            measured.StatusErrors,
            measured.ConnectionErrors,
            timeouts,
            measured.FirstConnectionError,
            interrupted,
            measured.WindowSeconds,
            ok > 0 && span > 0 ? ok / span : 0,
            ok > 0 ? Latency(measured.Latency) : null,
            measured.SendLag.TotalCount > 0 ? SendLag(measured.SendLag) : null,
            lateSends,
            measured.Sent > 0 && lateSends > measured.Sent * BehindShare,
            measured.MaxInFlight,
            measured.WasInterrupted);
    }

    private static BenchLatency Latency(HistogramBase histogram) => new(
        Microseconds(histogram.GetValueAtPercentile(50)),
        Microseconds(histogram.GetValueAtPercentile(90)),
        Microseconds(histogram.GetValueAtPercentile(99)),
        Microseconds(histogram.GetValueAtPercentile(99.9)),
        Microseconds(histogram.GetMaxValue()),
        Math.Round(histogram.GetMean() / 1000, 1));

    private static BenchSendLag SendLag(HistogramBase histogram) => new(
        Microseconds(histogram.GetValueAtPercentile(50)),
        Microseconds(histogram.GetValueAtPercentile(99)),
        Microseconds(histogram.GetMaxValue()));

    /// <summary>Recorded values above <paramref name="nanoseconds"/>, to the histogram's precision.</summary>
    private static long CountAbove(HistogramBase histogram, long nanoseconds)
    {
        long count = 0;
        foreach (var value in histogram.RecordedValues())
        {
            if (histogram.LowestEquivalentValue(value.ValueIteratedTo) > nanoseconds)
            {
                count += value.CountAtValueIteratedTo;
            }
        }

        return count;
    }

    private static double Microseconds(long nanoseconds) => Math.Round(nanoseconds / 1000.0, 1);
}
