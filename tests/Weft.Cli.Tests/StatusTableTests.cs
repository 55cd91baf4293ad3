using Weft.Cli.Commands;
using Weft.ControlPlane.Api;
using Weft.ControlPlane.Registry;

namespace Weft.Cli.Tests;

/// <summary>The table `weft up` and `weft status` print.</summary>
public sealed class StatusTableTests
{
    private static WorkloadStatus Workload(string address, bool appRunning, bool ready, string? problem) => new(
        "migrate", "shop", "spiffe://cluster.local/ns/shop/sa/migrate", true, 15001,
        new Dictionary<int, int> { [9080] = 9080 }, new Dictionary<int, int> { [9080] = 9080 }, 15000,
        4242, 4243, appRunning, false, null, ready, problem, address)
    {
        Phase = appRunning ? InstancePhases.Running : ready ? InstancePhases.Completed : InstancePhases.Error,
    };

    private static MeshStatus Mesh(params WorkloadStatus[] workloads) => new(
        new ControlPlaneStatus("3", "config", "http://127.0.0.1:1", "https://10.77.0.1:2", null, [], null, DateTimeOffset.UnixEpoch), workloads);

    [Theory]
    [InlineData("10.77.0.8", false, true, null, "ADDRESS", "completed")] // a pod whose Job finished
    [InlineData("10.77.0.8", false, false, "application exited with code 3", "ADDRESS", "NO: application exited with code 3")]
    [InlineData("127.0.0.1", true, true, null, null, "yes")] // explicit mode: no address column
    public void Pods_show_their_address_and_a_finished_job_shows_completed(string address, bool appRunning, bool ready, string? problem, string? header, string readyCell)
    {
        var lines = StatusCommand.Format(Mesh(Workload(address, appRunning, ready, problem))).Split('\n');
        var (headers, row) = (lines[1], lines[2].TrimEnd());

        Assert.Equal(header is not null, headers.Contains("ADDRESS", StringComparison.Ordinal));
        Assert.Equal(header is not null, row.Contains(address, StringComparison.Ordinal));
        Assert.EndsWith(readyCell, row, StringComparison.Ordinal);
    }

    [Fact]
    public void A_crash_looping_workload_shows_its_state_and_restarts()
    {
        var crashing = Workload("127.0.0.1", false, false, "CrashLoopBackOff: application exited with code 3; back-off 20s restarting the application (restarts: 2)")
            with { Phase = InstancePhases.CrashLoopBackOff, Restarts = 2 };
        var lines = StatusCommand.Format(Mesh(crashing)).Split('\n');

        Assert.Matches(@"STATUS\s+RESTARTS\s+READY$", lines[1].TrimEnd());
        Assert.Matches(@"CrashLoopBackOff\s+2\s+NO: CrashLoopBackOff: application exited with code 3;", lines[2]);
    }
}
