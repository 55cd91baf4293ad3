using System.Diagnostics;

namespace Weft.Cli.Bench;

/// <summary>
/// Cancels requests that outlive --timeout, counted from their scheduled send time. Requests due
/// within the same 10 ms share one <see cref="CancellationTokenSource"/> instead of each making one
/// with its own timer: at thousands of requests per second that is a timer fewer per request on the
/// send path, and a request is still cancelled no later than 10 ms after its timeout. Every token
/// is also cancelled when the run stops (Ctrl-C). Used by the dispatcher thread only.
/// </summary>
internal sealed class TimeoutBuckets(TimeSpan timeout, CancellationToken stop) : IDisposable
{
    private static readonly long Width = Stopwatch.Frequency / 100;

    /// <summary>How long after its deadline a bucket is disposed: by then its requests have seen the cancellation and ended.</summary>
    private static readonly long Grace = Stopwatch.Frequency;

    private readonly long _timeoutTicks = (long)(timeout.TotalSeconds * Stopwatch.Frequency);
    private readonly Queue<(long Deadline, CancellationTokenSource Source)> _live = new();
    private long _end = long.MinValue;
    private CancellationTokenSource? _current;

    /// <summary>The token that is cancelled once a request due at <paramref name="due"/> has run out of time.</summary>
    public CancellationToken For(long due)
    {
        if (_current is null || due >= _end)
        {
            Open(due);
        }

        return _current!.Token;
    }

    private void Open(long due)
    {
        var now = Stopwatch.GetTimestamp();
        while (_live.TryPeek(out var oldest) && now - oldest.Deadline > Grace)
        {
            _live.Dequeue().Source.Dispose();
        }

        _end = due - (due % Width) + Width;
        var deadline = _end + _timeoutTicks;
        _current = CancellationTokenSource.CreateLinkedTokenSource(stop);
        _current.CancelAfter(TimeSpan.FromSeconds(Math.Max(0, deadline - now) / (double)Stopwatch.Frequency));
        _live.Enqueue((deadline, _current));
    }

    public void Dispose()
    {
        while (_live.TryDequeue(out var bucket))
        {
            bucket.Source.Dispose();
        }
    }
}
