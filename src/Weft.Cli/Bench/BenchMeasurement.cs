using HdrHistogram;

namespace Weft.Cli.Bench;

/// <summary>The raw figures of one run's measured window, before they are summarized.</summary>
/// <param name="Latency">Successful requests' latencies from their scheduled send time, in nanoseconds.</param>
/// <param name="SendLag">How late, in nanoseconds, each measured request was handed to the HTTP client.</param>
/// <param name="StatusErrors">Responses other than 2xx/3xx, by status code.</param>
/// <param name="ConnectionErrors">Requests that got no response because a connection could not be opened or broke.</param>
/// <param name="FirstConnectionError">The first such failure's message, to say what went wrong.</param>
/// <param name="Timeouts">Requests without a complete response within --timeout of their scheduled send time.</param>
/// <param name="Interrupted">Requests still in flight when the run was stopped.</param>
/// <param name="Sent">Measured requests sent.</param>
/// <param name="WindowSeconds">The measured window: the requested duration, or up to the stop.</param>
/// <param name="LastSuccessSeconds">From the window's start to the last successful response (0 or less when none).</param>
/// <param name="MaxInFlight">The most requests outstanding at once while measured requests were being sent.</param>
/// <param name="WasInterrupted">The run was stopped (Ctrl-C) before its schedule ended.</param>
internal sealed record BenchMeasurement(
    HistogramBase Latency,
    HistogramBase SendLag,
    IReadOnlyDictionary<int, long> StatusErrors,
    long ConnectionErrors,
    string? FirstConnectionError,
    long Timeouts,
    long Interrupted,
    long Sent,
    double WindowSeconds,
    double LastSuccessSeconds,
    int MaxInFlight,
    bool WasInterrupted);
