using HdrHistogram;
using Weft.Cli.Bench;

namespace Weft.Cli.Tests.Bench;

public sealed class BenchSummaryTests
{
    private static readonly BenchOptions Options = BenchOptions.Parse(["http://127.0.0.1:8080/", "--rate", "50", "--duration", "2s"]);

    [Fact]
    public void Percentiles_come_from_the_latency_histogram_in_microseconds()
    {
        // 1 µs .. 1000 µs, one request each
        var latency = Histogram(Enumerable.Range(1, 1000).Select(us => us * 1000L));

        var summary = BenchSummary.Of(Options, BenchRoute.Direct, 1000, Measurement(latency, sent: 1000));

        var l = summary.LatencyUs!;
        Assert.InRange(l.P50, 499.5, 500.5);
        Assert.InRange(l.P90, 899.1, 900.9);
        Assert.InRange(l.P99, 989, 991);
        Assert.InRange(l.P999, 998.5, 999.5);
        Assert.InRange(l.Max, 999.5, 1000.5);
        Assert.InRange(l.Mean, 500, 501);
        Assert.Equal(1000, summary.Ok);
    }

    [Theory]
    // sent, ok, HTTP 500s, connection errors, timeouts, interrupted, stopped by Ctrl-C → errors, timeouts, interrupted
    [InlineData(100, 100, 0, 0, 0, 0, false, 0, 0, 0)]
    [InlineData(100, 90, 10, 0, 0, 0, false, 10, 0, 0)]
    [InlineData(90, 80, 0, 5, 5, 0, false, 10, 5, 0)]
    [InlineData(100, 90, 0, 0, 0, 0, false, 10, 10, 0)] // 10 never answered within the wait: timeouts
    [InlineData(100, 90, 0, 0, 0, 4, true, 0, 0, 10)] // stopped: the unanswered were in flight, not errors
    [InlineData(100, 0, 60, 40, 0, 0, false, 100, 0, 0)]
    public void Every_sent_request_is_ok_an_error_or_interrupted(long sent, long ok, long http500, long connection, long timeouts, long interrupted, bool stopped,
        long expectedErrors, long expectedTimeouts, long expectedInterrupted)
    {
        var latency = Histogram(Enumerable.Repeat(400_000L, (int)ok));
        var statuses = http500 > 0 ? new Dictionary<int, long> { [500] = http500 } : [];

        var summary = BenchSummary.Of(Options, BenchRoute.Direct, 100,
            Measurement(latency, sent, statuses, connection, timeouts, interrupted, stopped));

        Assert.Equal(ok, summary.Ok);
        Assert.Equal(expectedErrors, summary.Errors);
        Assert.Equal(expectedTimeouts, summary.Timeouts);
        Assert.Equal(expectedInterrupted, summary.Interrupted);
        Assert.Equal(sent, summary.Ok + summary.Errors + summary.Interrupted);
    }

    [Theory]
    [InlineData(1000, 2.0, 1.5, 500)] // the last success inside the window: successes over the window
    [InlineData(1000, 2.0, 2.5, 400)] // responses trailing after the window stretch it, as in the harness
    [InlineData(0, 2.0, 0.0, 0)]
    public void Achieved_rps_is_successes_over_the_longer_of_the_window_and_the_last_success(int ok, double window, double lastSuccess, double rps)
    {
        var latency = Histogram(Enumerable.Repeat(400_000L, ok));

        var summary = BenchSummary.Of(Options, BenchRoute.Direct, 1000, Measurement(latency, ok, windowSeconds: window, lastSuccessSeconds: lastSuccess));

        Assert.Equal(rps, summary.AchievedRps, 3);
        Assert.Equal(ok == 0, summary.LatencyUs is null);
    }

    [Theory]
    [InlineData(0, 0, false)]
    [InlineData(10, 10, false)] // 1 % late: scheduling noise
    [InlineData(11, 11, true)]
    [InlineData(500, 500, true)]
    public void The_generator_fell_behind_when_more_than_one_percent_was_sent_over_a_millisecond_late(int late, long lateSends, bool behind)
    {
        var lag = Histogram(Enumerable.Repeat(50_000L, 1000 - late).Concat(Enumerable.Repeat(1_500_000L, late)));

        var summary = BenchSummary.Of(Options, BenchRoute.Direct, 1000, Measurement(Histogram([]), sent: 1000, sendLag: lag));

        Assert.Equal(lateSends, summary.LateSends);
        Assert.Equal(behind, summary.FellBehind);
    }

    internal static LongHistogram Histogram(IEnumerable<long> nanoseconds)
    {
        var histogram = new LongHistogram(1, BenchRecorder.HighestNanoseconds, 3);
        foreach (var value in nanoseconds)
        {
            histogram.RecordValue(value);
        }

        return histogram;
    }

    internal static BenchMeasurement Measurement(HistogramBase latency, long sent, IReadOnlyDictionary<int, long>? statuses = null, long connectionErrors = 0,
        long timeouts = 0, long interrupted = 0, bool stopped = false, double windowSeconds = 2, double lastSuccessSeconds = 1.99, HistogramBase? sendLag = null,
        string? firstConnectionError = null) =>
        new(latency, sendLag ?? Histogram(Enumerable.Repeat(50_000L, (int)sent)), statuses ?? new Dictionary<int, long>(), connectionErrors, firstConnectionError,
            timeouts, interrupted, sent, windowSeconds, lastSuccessSeconds, 3, stopped);
}
