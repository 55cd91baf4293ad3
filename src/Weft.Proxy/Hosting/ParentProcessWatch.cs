namespace Weft.Proxy.Hosting;

/// <summary>
/// Ends a child of `weft up` when `weft up` itself is gone, even if it was killed without a chance
/// to stop its children: the mesh never leaves orphan processes behind.
/// </summary>
public static class ParentProcessWatch
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    public static int? FromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable("WEFT_PARENT_PID"), out var pid) ? pid : null;

    /// <summary>Cancels <paramref name="stopping"/> once process <paramref name="parentPid"/> has exited.</summary>
    public static async Task WatchAsync(int parentPid, CancellationTokenSource stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (!Directory.Exists($"/proc/{parentPid}"))
            {
                await stopping.CancelAsync();
                return;
            }
        }
    }
}
