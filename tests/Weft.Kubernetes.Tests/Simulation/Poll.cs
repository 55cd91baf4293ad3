namespace Weft.Kubernetes.Tests.Simulation;

/// <summary>Polls a condition until a deadline; the message says what was awaited.</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}");
            }

            await Task.Delay(100);
        }
    }

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what) => UntilAsync(() => Task.FromResult(condition()), timeout, what);
}
