namespace Weft.Cli.Bench;

/// <summary>
/// The open-loop send schedule, in <see cref="System.Diagnostics.Stopwatch"/> timestamps: request
/// i is due at <c>Start + i / rate</c> whatever happened to the requests before it. Latency is
/// measured from that due time, so a stall of the target (or of the generator) is charged to every
/// request that should have been sent during it, not once ("coordinated omission").
/// </summary>
/// <param name="Start">When request 0 is due.</param>
/// <param name="TicksPerRequest">Timestamp ticks between two requests (fractional: the rate need not divide the clock).</param>
/// <param name="WarmupRequests">The first requests, sent but not measured.</param>
/// <param name="TotalRequests">Warm-up and measured requests together.</param>
internal readonly record struct SendSchedule(long Start, double TicksPerRequest, long WarmupRequests, long TotalRequests)
{
    public static SendSchedule Create(long start, long ticksPerSecond, double rate, TimeSpan warmup, TimeSpan duration)
    {
        var warmupRequests = (long)Math.Round(rate * warmup.TotalSeconds);
        var measuredRequests = (long)Math.Round(rate * duration.TotalSeconds);
        return new SendSchedule(start, ticksPerSecond / rate, warmupRequests, warmupRequests + measuredRequests);
    }

    public long MeasuredRequests => TotalRequests - WarmupRequests;

    /// <summary>When the measured window opens: the due time of the first measured request.</summary>
    public long MeasuredFrom => DueAt(WarmupRequests);

    /// <summary>
    /// Each due time is computed from the start, not by adding the period to the previous one,
    /// so rounding never accumulates into drift over a long run.
    /// </summary>
    public long DueAt(long index) => Start + (long)(index * TicksPerRequest);

    public bool IsMeasured(long index) => index >= WarmupRequests;
}
