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
