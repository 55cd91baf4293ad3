using Weft.Cli.Bench;
using static Weft.Cli.Tests.Bench.BenchSummaryTests;

namespace Weft.Cli.Tests.Bench;

public sealed class BenchReportTests
{
    private static readonly BenchOptions Options = BenchOptions.Parse(["http://payments/", "--rate", "50", "--duration", "2s", "--warmup", "1s", "--from", "checkout"]);
    private static readonly BenchRoute Route = new("shop/checkout", 15001, "spiffe://cluster.local/ns/shop/sa/checkout");

    [Fact]
    public void A_clean_run_shows_percentiles_rate_and_no_errors()
    {
        // HdrHistogram reports a bucket by its highest equivalent value: 2 ms is kept as 2.001 ms
        var latency = Histogram(Enumerable.Repeat(412_000L, 99).Append(2_000_000L));

        var text = BenchReport.Text(BenchSummary.Of(Options, Route, 100, Measurement(latency, sent: 100)));

        Assert.Equal(
            """
            weft bench http://payments/ from shop/checkout (through its sidecar on 127.0.0.1:15001, spiffe://cluster.local/ns/shop/sa/checkout), HTTP/1.1, 50 rps for 2s over 16 connections, after 1s of warm-up
            requests   100 sent of 100 scheduled, 100 ok, 0 errors; achieved 50.0 rps
            latency    p50 0.412ms  p90 0.412ms  p99 0.412ms  p99.9 2.001ms  max 2.001ms  (ok requests, from the scheduled send time)
            errors     none
            send lag   p50 0.05ms  p99 0.05ms  max 0.05ms; at most 3 requests in flight

            """, text);
    }

    [Theory]
    [InlineData(500, 0, 0, "HTTP 500: 10, connection: 0, timeout (5s): 0")]
    [InlineData(503, 2, 3, "HTTP 503: 10, connection: 2, timeout (5s): 3")]
    [InlineData(0, 4, 0, "connection: 4, timeout (5s): 0")]
    public void Errors_are_broken_down_by_status_connection_and_timeout(int status, long connection, long timeouts, string breakdown)
    {
        var statuses = status > 0 ? new Dictionary<int, long> { [status] = 10 } : [];
        var ok = 100 - (status > 0 ? 10 : 0) - (int)connection - (int)timeouts;
        var measurement = Measurement(Histogram(Enumerable.Repeat(412_000L, ok)), 100, statuses, connection, timeouts,
            firstConnectionError: connection > 0 ? "Connection refused (127.0.0.1:1)" : null);

        var text = BenchReport.Text(BenchSummary.Of(Options, Route, 100, measurement));

        Assert.Contains($"errors     {breakdown}\n", text, StringComparison.Ordinal);
        Assert.Equal(connection > 0, text.Contains("first connection error: Connection refused (127.0.0.1:1)", StringComparison.Ordinal));
    }

    [Fact]
    public void Falling_behind_the_schedule_is_said_not_hidden()
    {
        var lag = Histogram(Enumerable.Repeat(50_000L, 80).Concat(Enumerable.Repeat(30_000_000L, 20)));

        var text = BenchReport.Text(BenchSummary.Of(Options, Route, 100, Measurement(Histogram([412_000L]), sent: 100, sendLag: lag)));

        Assert.Contains("WARNING: the generator fell behind its schedule: 20% of the requests were sent more than 1ms after they were due", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stopped_run_says_how_much_of_it_was_measured()
    {
        var measurement = Measurement(Histogram(Enumerable.Repeat(412_000L, 40)), sent: 42, interrupted: 2, stopped: true, windowSeconds: 0.84, lastSuccessSeconds: 0.8);

        var text = BenchReport.Text(BenchSummary.Of(Options, Route, 100, measurement));

        Assert.Contains("interrupted after 0.84s of the measured 2s: the figures cover what was measured until then (2 requests still in flight are left out)\n", text, StringComparison.Ordinal);
        Assert.Contains("requests   42 sent of 100 scheduled, 40 ok, 0 errors; achieved 47.6 rps\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void No_success_leaves_no_percentiles()
    {
        var text = BenchReport.Text(BenchSummary.Of(Options, BenchRoute.Direct, 100, Measurement(Histogram([]), sent: 100, connectionErrors: 100)));

        Assert.Contains("latency    - (no request succeeded)\n", text, StringComparison.Ordinal);
        Assert.Contains("http://payments/ direct, HTTP/1.1", text, StringComparison.Ordinal);
    }
}
