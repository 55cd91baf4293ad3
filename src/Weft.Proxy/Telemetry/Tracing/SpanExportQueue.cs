using System.Collections.Concurrent;
using System.Diagnostics;
using OpenTelemetry;

namespace Weft.Proxy.Telemetry.Tracing;

/// <summary>
/// Batches finished spans for the exporter on a thread of its own. The request path only enqueues
/// (a counter and a lock-free queue); when the queue is full the span is dropped and counted, so a
/// slow or absent collector never slows a request down. A batch goes out when it is full or when
/// <c>delay</c> has passed since the last one.
/// </summary>
internal sealed class SpanExportQueue : BaseExportProcessor<Activity>
{
    private readonly ConcurrentQueue<Activity> _queue = new();
    private readonly int _capacity;
    private readonly int _maxBatch;
    private readonly TimeSpan _delay;
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _thread;
    private readonly object _flushLock = new();
    private int _queued;
    private long _dropped;
    private long _exported;
    private long _failed;
    private long _flushRequested;
    private long _flushCompleted;
    private volatile bool _stopping;

    public SpanExportQueue(BaseExporter<Activity> exporter, int capacity, int maxBatch, TimeSpan delay)
        : base(exporter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _capacity = capacity;
        _maxBatch = Math.Min(maxBatch, capacity);
        _delay = delay;
        _thread = new Thread(Run) { IsBackground = true, Name = "weft-span-export" };
        _thread.Start();
    }

    /// <summary>Spans waiting to be exported.</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>Spans dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Spans the collector accepted.</summary>
    public long Exported => Interlocked.Read(ref _exported);

    /// <summary>Spans whose export failed (collector unreachable or refusing).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    protected override void OnExport(Activity data)
    {
        if (!data.Recorded)
        {
            return;
        }

        if (Interlocked.Increment(ref _queued) > _capacity)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _dropped);
            return;
        }

        _queue.Enqueue(data);
        if (Volatile.Read(ref _queued) == _maxBatch)
        {
            _wake.Set();
        }
    }

    private void Run()
    {
        var batch = new Activity[_maxBatch];
        while (true)
        {
            _wake.WaitOne(_delay);
            var stopping = _stopping;
            var flushRequested = Interlocked.Read(ref _flushRequested);
            ExportQueued(batch);
            lock (_flushLock)
            {
                Interlocked.Exchange(ref _flushCompleted, flushRequested);
                Monitor.PulseAll(_flushLock);
            }

            if (stopping)
            {
                return;
            }
        }
    }

    private void ExportQueued(Activity[] batch)
    {
        while (true)
        {
            var count = 0;
            while (count < batch.Length && _queue.TryDequeue(out var span))
            {
                batch[count++] = span;
            }

            if (count == 0)
            {
                return;
            }

            Interlocked.Add(ref _queued, -count);
            ExportResult result;
            try
            {
                var spans = new Batch<Activity>(batch, count);
                result = exporter.Export(in spans);
            }
            catch (Exception)
            {
                result = ExportResult.Failure;
            }

            Interlocked.Add(ref result == ExportResult.Success ? ref _exported : ref _failed, count);
            Array.Clear(batch, 0, count);
            if (count < batch.Length)
            {
                return;
            }
        }
    }

    protected override bool OnForceFlush(int timeoutMilliseconds)
    {
        var target = Interlocked.Increment(ref _flushRequested);
        _wake.Set();
        var deadline = timeoutMilliseconds == Timeout.Infinite ? long.MaxValue : Environment.TickCount64 + timeoutMilliseconds;
        lock (_flushLock)
        {
            while (Interlocked.Read(ref _flushCompleted) < target)
            {
                var remaining = deadline - Environment.TickCount64;
                if (remaining <= 0 || !_thread.IsAlive)
                {
                    return false;
                }

                Monitor.Wait(_flushLock, (int)Math.Min(remaining, int.MaxValue));
            }
        }

        return base.OnForceFlush(timeoutMilliseconds);
    }

    protected override bool OnShutdown(int timeoutMilliseconds)
    {
        _stopping = true;
        _wake.Set();
        var joined = timeoutMilliseconds == Timeout.Infinite ? _thread.Join(Timeout.Infinite) : _thread.Join(timeoutMilliseconds);
        return base.OnShutdown(timeoutMilliseconds) && joined;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && !_thread.IsAlive)
        {
            _wake.Dispose();
        }
    }
}
