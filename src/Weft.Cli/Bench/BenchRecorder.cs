using System.Diagnostics;
using HdrHistogram;

namespace Weft.Cli.Bench;

/// <summary>
/// What the measured requests come to, recorded as they complete — from many threads at once, so
/// with a concurrent histogram and interlocked counters, and nothing allocated per request.
/// Warm-up requests are never handed to it.
/// </summary>
internal sealed class BenchRecorder(long measuredFrom, TimeSpan timeout)
{
    /// <summary>Latencies are kept in nanoseconds, from 1 ns to an hour, to three significant digits (0.1 %).</summary>
    public const long HighestNanoseconds = 3_600_000_000_000;

    private static readonly double NanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    private readonly LongConcurrentHistogram _latency = new(1, HighestNanoseconds, 3);
    private readonly LongHistogram _sendLag = new(1, HighestNanoseconds, 3); // the dispatcher's alone
    private readonly long[] _statuses = new long[1000];
    private readonly long _measuredFrom = measuredFrom;
    private readonly long _timeoutTicks = (long)(timeout.TotalSeconds * Stopwatch.Frequency);
    private long _sent;
    private long _connectionErrors;
    private long _timeouts;
    private long _interrupted;
    private long _lastSuccess = measuredFrom;
    private string? _firstConnectionError;

    /// <summary>Dispatcher thread: a measured request is being sent <paramref name="lagTicks"/> after it was due.</summary>
    public void Sent(long lagTicks)
    {
        _sent++;
        _sendLag.RecordValue(Nanoseconds(lagTicks));
    }

    /// <summary>A response was read to its end at <paramref name="completedAt"/>; 2xx and 3xx succeed, as in the shared harness.</summary>
    public void Completed(int status, long due, long completedAt)
    {
        var latency = completedAt - due;
        if (latency > _timeoutTicks)
        {
            // It came, but later than --timeout allows: a timeout whether or not the cancellation won the race.
            Interlocked.Increment(ref _timeouts);
        }
        else if (status is >= 200 and < 400)
        {
            _latency.RecordValue(Nanoseconds(latency));
            long seen;
            while (completedAt > (seen = Volatile.Read(ref _lastSuccess)) && Interlocked.CompareExchange(ref _lastSuccess, completedAt, seen) != seen)
            {
            }
        }
        else
        {
            Interlocked.Increment(ref _statuses[Math.Clamp(status, 0, _statuses.Length - 1)]);
        }
    }

    /// <summary>No response: the connection could not be opened, or broke (reset, TLS, protocol error).</summary>
    public void ConnectionFailed(Exception error)
    {
        Interlocked.Increment(ref _connectionErrors);
        Interlocked.CompareExchange(ref _firstConnectionError, error.InnerException is { } inner && !error.Message.Contains(inner.Message, StringComparison.Ordinal) ? $"{error.Message} ({inner.Message})" : error.Message, null);
    }

    public void TimedOut() => Interlocked.Increment(ref _timeouts);

    /// <summary>Still in flight when the run was stopped (Ctrl-C): neither a success nor an error.</summary>
    public void Interrupted() => Interlocked.Increment(ref _interrupted);

    /// <param name="windowEnd">When the measured window closed: its scheduled end, or the moment the run was stopped.</param>
    public BenchMeasurement Snapshot(long windowEnd, bool interrupted, int maxInFlight)
    {
        var statuses = new SortedDictionary<int, long>();
        for (var status = 0; status < _statuses.Length; status++)
        {
            if (Volatile.Read(ref _statuses[status]) is > 0 and var count)
            {
                statuses[status] = count;
            }
        }

        return new BenchMeasurement(
            _latency.Copy(),
            _sendLag.Copy(),
            statuses,
            Interlocked.Read(ref _connectionErrors),
            Volatile.Read(ref _firstConnectionError),
            Interlocked.Read(ref _timeouts),
            Interlocked.Read(ref _interrupted),
            _sent,
            Math.Max(0, windowEnd - _measuredFrom) / (double)Stopwatch.Frequency,
            (Interlocked.Read(ref _lastSuccess) - _measuredFrom) / (double)Stopwatch.Frequency,
            maxInFlight,
            interrupted);
    }

    private static long Nanoseconds(long ticks) => Math.Clamp((long)(ticks * NanosecondsPerTick), 1, HighestNanoseconds);
}
