using System.Diagnostics;
using OpenTelemetry;
using Weft.Proxy.Telemetry.Tracing;

namespace Weft.Proxy.Tests.Telemetry;

public sealed class SpanExportQueueTests
{
    [Fact]
    public void A_full_queue_drops_and_counts_instead_of_blocking()
    {
        using var exporter = new GatedExporter();
        using var queue = new SpanExportQueue(exporter, capacity: 4, maxBatch: 1, delay: TimeSpan.FromMinutes(10));

        queue.OnEnd(Span()); // a full batch: the export thread takes it and blocks in the exporter
        Assert.True(exporter.Entered.Wait(TimeSpan.FromSeconds(10)), "the first batch reached the exporter");
        for (var i = 0; i < 10; i++)
        {
            queue.OnEnd(Span()); // returns at once even though nothing is being exported
        }

        Assert.Equal(4, queue.Queued);
        Assert.Equal(6, queue.Dropped);
        exporter.Release.Set();
        Assert.True(queue.ForceFlush(10_000));
        Assert.Equal(5, queue.Exported);
        Assert.Equal(5, exporter.Received);
        Assert.Equal(0, queue.Queued);
    }

    [Fact]
    public void Spans_not_sampled_are_never_queued()
    {
        using var exporter = new GatedExporter();
        exporter.Release.Set();
        using var queue = new SpanExportQueue(exporter, capacity: 4, maxBatch: 4, delay: TimeSpan.FromMinutes(10));
        var unsampled = Span();
        unsampled.ActivityTraceFlags = ActivityTraceFlags.None;

        queue.OnEnd(unsampled);

        Assert.Equal(0, queue.Queued);
        Assert.True(queue.ForceFlush(10_000));
        Assert.Equal(0, exporter.Received);
    }

    [Fact]
    public void A_partial_batch_is_sent_after_the_delay()
    {
        using var exporter = new GatedExporter();
        exporter.Release.Set();
        using var queue = new SpanExportQueue(exporter, capacity: 100, maxBatch: 50, delay: TimeSpan.FromMilliseconds(50));

        queue.OnEnd(Span());
        queue.OnEnd(Span());

        Assert.True(exporter.Entered.Wait(TimeSpan.FromSeconds(10)), "the delay elapsed and the batch went out");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (queue.Exported < 2 && DateTime.UtcNow < deadline)
        {
            Thread.Yield();
        }

        Assert.Equal(2, queue.Exported);
    }

    [Fact]
    public void An_unreachable_collector_fails_exports_without_holding_up_the_caller()
    {
        // A port nothing listens on: connections are refused.
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var exporter = new OpenTelemetry.Exporter.OtlpTraceExporter(new OpenTelemetry.Exporter.OtlpExporterOptions
        {
            Endpoint = TraceExport.TracesUrl($"http://127.0.0.1:{port}"),
            Protocol = OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf,
            TimeoutMilliseconds = 2_000,
        });
        using var queue = new SpanExportQueue(exporter, capacity: 100, maxBatch: 10, delay: TimeSpan.FromMilliseconds(20));

        for (var i = 0; i < 25; i++)
        {
            queue.OnEnd(Span());
        }

        Assert.True(queue.ForceFlush(30_000));
        Assert.Equal(25, queue.Failed);
        Assert.Equal(0, queue.Exported);
        Assert.Equal(0, queue.Dropped);
    }

    [Theory]
    [InlineData("http://127.0.0.1:4318", "http://127.0.0.1:4318/v1/traces")]
    [InlineData("http://collector:4318/", "http://collector:4318/v1/traces")]
    [InlineData("https://example.test/otlp/v1/traces", "https://example.test/otlp/v1/traces")]
    public void A_base_url_gets_the_traces_path(string endpoint, string expected)
    {
        Assert.Equal(expected, TraceExport.TracesUrl(endpoint).ToString());
    }

    [Theory]
    [InlineData("127.0.0.1:4318")]
    [InlineData("grpc://127.0.0.1:4317")]
    public void An_endpoint_that_is_not_an_http_url_is_refused(string endpoint)
    {
        Assert.Throws<ArgumentException>(() => TraceExport.TracesUrl(endpoint));
    }

    private static Activity Span()
    {
        var span = new Activity("span");
        span.SetIdFormat(ActivityIdFormat.W3C);
        span.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        return span;
    }

    /// <summary>An exporter that holds the export thread until released, to fill the queue behind it.</summary>
    private sealed class GatedExporter : BaseExporter<Activity>
    {
        private int _received;

        public ManualResetEventSlim Entered { get; } = new();
        public ManualResetEventSlim Release { get; } = new();
        public int Received => Volatile.Read(ref _received);

        public override ExportResult Export(in Batch<Activity> batch)
        {
            Entered.Set();
            Release.Wait(TimeSpan.FromSeconds(30));
            foreach (var _ in batch)
            {
                Interlocked.Increment(ref _received);
            }

            return ExportResult.Success;
        }

        protected override void Dispose(bool disposing)
        {
            Release.Set();
            base.Dispose(disposing);
        }
    }
}
