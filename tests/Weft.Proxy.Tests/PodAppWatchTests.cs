using Weft.Proxy.Hosting;

namespace Weft.Proxy.Tests;

/// <summary>Which of a shared-process-namespace pod's processes are the app's: a Job's sidecar waits for exactly those.</summary>
public sealed class PodAppWatchTests
{
    [Theory]
    [InlineData(new[] { 1, 65535, 7, 1337, 20, 0 }, 1)]        // pause, the proxy itself, the app (root)
    [InlineData(new[] { 1, 65535, 7, 1337, 31, 1337 }, 0)]     // a hook in the proxy's container is not the app
    [InlineData(new[] { 1, 65535, 7, 1337 }, 0)]               // the app has exited
    [InlineData(new[] { 1, 65535, 7, 1337, 20, 1000, 21, 1000 }, 2)]
    public void Only_processes_outside_the_sidecars_group_pause_and_itself_are_the_apps(int[] pidsAndGroups, int expected)
    {
        var processes = pidsAndGroups.Chunk(2).Select(p => (p[0], p[1]));

        Assert.Equal(expected, PodAppWatch.CountAppProcesses(processes, self: 7, proxyGroup: 1337));
    }
}
