using System.Diagnostics;

namespace Weft.Cli.Bench;

/// <summary>
/// Sends requests on a fixed schedule (open loop) and records how each one ends. A dedicated
/// dispatcher thread sleeps to each due time and hands the request to the HTTP client without
/// waiting for it; the responses are read on the thread pool. When the dispatcher falls behind,
/// it sends what is due at once, each request still measured from its own due time.
/// </summary>
internal sealed class LoadGenerator(BenchClients clients, SendSchedule schedule, TimeSpan timeout)
{
    /// <summary>
    /// Response bodies are read into this and dropped. It is shared by every request at once: what
    /// lands in it is never read, so concurrent writes do no harm and no request allocates a buffer.
    /// </summary>
    private static readonly byte[] Discard = new byte[16 * 1024];

    private readonly BenchRecorder _recorder = new(schedule.MeasuredFrom, timeout);
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Requests outstanding, plus one the dispatcher holds until it is done: zero means all have ended.</summary>
    private int _outstanding = 1;

    /// <summary>The most requests outstanding at once in the measured window (a warm-up's start-up stalls left out).</summary>
    private int _maxInFlight;

    public async Task<BenchMeasurement> RunAsync(CancellationToken stop)
    {
        using var timeouts = new TimeoutBuckets(timeout, stop);
        var stoppedAt = await Task.Factory.StartNew(() => Dispatch(timeouts, stop), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Release();

        // Each request ends by its timeout at the latest (at once after Ctrl-C); the extra second
        // is for one that does not: it is then counted as unanswered instead of being waited for.
        await Task.WhenAny(_drained.Task, Task.Delay(timeout + TimeSpan.FromSeconds(1), CancellationToken.None));
        var windowEnd = stop.IsCancellationRequested ? stoppedAt : schedule.DueAt(schedule.TotalRequests);
        return _recorder.Snapshot(windowEnd, stop.IsCancellationRequested, _maxInFlight);
    }

    /// <summary>The send loop. Returns when the schedule is done or the run is stopped, with the time it stopped.</summary>
    private long Dispatch(TimeoutBuckets timeouts, CancellationToken stop)
    {
        for (long i = 0; i < schedule.TotalRequests; i++)
        {
            var due = schedule.DueAt(i);
            ScheduleClock.SleepUntil(due, stop);
            if (stop.IsCancellationRequested)
            {
                break;
            }

            var measured = schedule.IsMeasured(i);
            var inFlight = Interlocked.Increment(ref _outstanding) - 1;
            if (measured)
            {
                _recorder.Sent(Stopwatch.GetTimestamp() - due);
                _maxInFlight = Math.Max(_maxInFlight, inFlight);
            }

            _ = SendAsync(clients.Next(), due, measured, timeouts.For(due), stop);
        }

        return Stopwatch.GetTimestamp();
    }

    private async Task SendAsync(HttpMessageInvoker client, long due, bool measured, CancellationToken timeout, CancellationToken stop)
    {
        try
        {
            using var request = clients.NewRequest();
            using var response = await client.SendAsync(request, timeout).ConfigureAwait(false);
            var body = await response.Content.ReadAsStreamAsync(timeout).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                while (await body.ReadAsync(Discard, timeout).ConfigureAwait(false) > 0)
                {
                }
            }

            if (measured)
            {
                _recorder.Completed((int)response.StatusCode, due, Stopwatch.GetTimestamp());
            }
        }
        catch (OperationCanceledException) when (measured && stop.IsCancellationRequested)
        {
            _recorder.Interrupted();
        }
        catch (OperationCanceledException) when (measured)
        {
            _recorder.TimedOut();
        }
        catch (Exception e) when (measured && e is HttpRequestException or IOException)
        {
            _recorder.ConnectionFailed(e);
        }
        catch (Exception e) when (!measured && e is OperationCanceledException or HttpRequestException or IOException)
        {
            // a warm-up request: its outcome is not part of the measurement
        }
        finally
        {
            Release();
        }
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _outstanding) == 0)
        {
            _drained.TrySetResult();
        }
    }
}
