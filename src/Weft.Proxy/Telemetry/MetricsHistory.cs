namespace Weft.Proxy.Telemetry;

/// <summary>
/// The proxy's metrics as they were over the last minute: a rendering of /metrics every
/// <see cref="Interval"/>, the last <see cref="Kept"/> of them, so `weft stat` can report the last
/// minute at once (the difference between now and then) instead of waiting a minute to sample.
/// </summary>
internal sealed class MetricsHistory(TimeProvider time)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private const int Kept = 8;

    private readonly (DateTimeOffset At, string Text)[] _snapshots = new (DateTimeOffset, string)[Kept];
    private readonly Lock _gate = new();
    private int _count;
    private int _next;

    public void Add(string exposition)
    {
        lock (_gate)
        {
            _snapshots[_next] = (time.GetUtcNow(), exposition);
            _next = (_next + 1) % Kept;
            _count = Math.Min(_count + 1, Kept);
        }
    }

    /// <summary>The newest snapshot taken at least <paramref name="ago"/> ago, or else the oldest kept; null before the first.</summary>
    public (DateTimeOffset At, string Text)? Before(TimeSpan ago)
    {
        var cutoff = time.GetUtcNow() - ago;
        lock (_gate)
        {
            (DateTimeOffset At, string Text)? best = null;
            (DateTimeOffset At, string Text)? oldest = null;
            for (var i = 0; i < _count; i++)
            {
                var snapshot = _snapshots[(_next - 1 - i + Kept) % Kept];
                oldest = snapshot;
                if (best is null && snapshot.At <= cutoff)
                {
                    best = snapshot;
                }
            }

            return best ?? oldest;
        }
    }

    /// <summary>Renders a snapshot now and then every <see cref="Interval"/> until cancelled.</summary>
    public async Task RunAsync(Func<string> render, CancellationToken cancellation)
    {
        using var timer = new PeriodicTimer(Interval, time);
        Add(render());
        try
        {
            while (await timer.WaitForNextTickAsync(cancellation))
            {
                Add(render());
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
