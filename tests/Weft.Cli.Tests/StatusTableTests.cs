using Weft.Cli.Commands;
using Weft.ControlPlane.Api;

namespace Weft.Cli.Tests;

/// <summary>The table `weft up` and `weft status` print.</summary>
public sealed class StatusTableTests
{
    private static WorkloadStatus Workload(string address, bool appRunning, bool ready, string? problem) => new(
        "migrate", "shop", "spiffe://cluster.local/ns/shop/sa/migrate", true, 15001,
        new Dictionary<int, int> { [9080] = 9080 }, new Dictionary<int, int> { [9080] = 9080 }, 15000,
        4242, 4243, appRunning, false, null, ready, problem, address);

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
}
