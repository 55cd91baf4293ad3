using Weft.Cli.Commands;
using Weft.ControlPlane.Api;

namespace Weft.Cli.Bench;

/// <summary>`--from WORKLOAD`: the route through that workload's sidecar in the running mesh.</summary>
internal static class SidecarRoute
{
    /// <exception cref="ArgumentException">No such workload, the name is ambiguous, or it has no sidecar to send through.</exception>
    public static BenchRoute Resolve(MeshStatus status, string from, string? @namespace)
    {
        WorkloadStatus workload;
        try
        {
            workload = WorkloadFinder.FindWithSidecar(status, from, @namespace).Workload;
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--from {from}: {e.Message}", e);
        }

        var name = $"{workload.Namespace}/{workload.Workload}";
        if (workload.InOwnNetwork)
        {
            // Transparent mode: the sidecar takes what the pod's own processes send, not what the host sends.
            throw new ArgumentException($"--from {from}: {name} runs in its own network namespace (weft up --transparent); send from inside it: "
                + $"ip netns exec $(ip netns list | grep -o '^weft[0-9]*-{workload.Namespace}-{workload.Workload}') weft bench URL ...");
        }

        return workload.OutboundPort is { } port
            ? new BenchRoute(name, port, workload.Identity)
            : throw new ArgumentException($"--from {from}: {name}'s sidecar has no outbound port yet (see `weft status`)");
    }
}
