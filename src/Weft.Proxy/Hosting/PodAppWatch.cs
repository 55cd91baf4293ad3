using System.Globalization;

namespace Weft.Proxy.Hosting;

/// <summary>
/// A sidecar that is a regular container (servers before native sidecars) would keep a Job's pod
/// running after the app finished. With the pod's process namespace shared (the injector sets
/// shareProcessNamespace for such pods), the sidecar sees the app's processes: once it has seen one
/// and none is left, it stops, so the pod can reach Succeeded. Processes of the sidecar's own
/// group (itself, the kubelet's hooks in its container) and the pod's pause process (pid 1) are not
/// the app's.
/// </summary>
public static class PodAppWatch
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>Cancels <paramref name="stopping"/> once the app's processes, after appearing, are all gone (two checks in a row).</summary>
    public static async Task WatchAsync(int proxyGroup, CancellationTokenSource stopping)
    {
        var seen = false;
        var absent = 0;
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

            int running;
            try
            {
                running = CountAppProcesses(ReadProcesses(), Environment.ProcessId, proxyGroup);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"weft-proxy: cannot read the pod's processes ({e.Message}); the sidecar will not stop with the app");
                return;
            }

            if (!seen && running > 0)
            {
                Console.Error.WriteLine($"weft-proxy: the app runs ({running} process(es)); the sidecar stops when they have ended");
            }

            seen |= running > 0;
            absent = seen && running == 0 ? absent + 1 : 0;
            if (absent >= 2)
            {
                Console.Error.WriteLine("weft-proxy: the app's processes have ended; stopping");
                await stopping.CancelAsync();
                return;
            }
        }
    }

    /// <summary>The processes that are the app's: not pid 1 (the pause process), not this one, not of the sidecar's group. Pure.</summary>
    public static int CountAppProcesses(IEnumerable<(int Pid, int Gid)> processes, int self, int proxyGroup) =>
        processes.Count(p => p.Pid != 1 && p.Pid != self && p.Gid != proxyGroup);

    private static List<(int Pid, int Gid)> ReadProcesses()
    {
        var processes = new List<(int, int)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                foreach (var line in File.ReadLines(Path.Combine(directory, "status")))
                {
                    // "Gid:\treal\teffective\tsaved\tfs"
                    if (line.StartsWith("Gid:", StringComparison.Ordinal)
                        && int.TryParse(line.AsSpan(4).TrimStart().ToString().Split('\t')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var gid))
                    {
                        processes.Add((pid, gid));
                        break;
                    }
                }
            }
            catch (IOException)
            {
                // the process ended while being read
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return processes;
    }
}
