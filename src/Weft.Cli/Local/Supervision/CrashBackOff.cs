namespace Weft.Cli.Local.Supervision;

/// <summary>
/// The kubelet's restart back-off for one container: the first restart is immediate, each further
/// one waits twice as long as the last (10 s, 20 s, 40 s … at most 5 min), and a container that ran
/// for 10 minutes before it stopped starts the sequence again.
/// </summary>
internal sealed class CrashBackOff
{
    public static readonly TimeSpan Initial = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan Maximum = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan ResetAfter = TimeSpan.FromMinutes(10);

    private TimeSpan? _next;

    /// <summary>How long to wait before starting the container again, given when it started and when it stopped.</summary>
    public TimeSpan Next(DateTimeOffset startedAt, DateTimeOffset exitedAt)
    {
        if (exitedAt - startedAt >= ResetAfter)
        {
            _next = null;
        }

        if (_next is not { } delay)
        {
            _next = Initial;
            return TimeSpan.Zero;
        }

        _next = delay * 2 > Maximum ? Maximum : delay * 2;
        return delay;
    }
}
