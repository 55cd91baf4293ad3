using Weft.ControlPlane.Api;

namespace Weft.Cli.Commands;

/// <summary>Finds one running workload by "name" (with -n NAMESPACE when a name repeats) or "namespace/name".</summary>
internal static class WorkloadFinder
{
    /// <exception cref="ArgumentException">No such workload, or the name is ambiguous.</exception>
    public static WorkloadStatus Find(MeshStatus status, string name, string? @namespace = null)
    {
        var matches = status.Workloads.Where(w => $"{w.Namespace}/{w.Workload}" == name || (w.Workload == name && (@namespace is null || w.Namespace == @namespace))).ToList();
        return matches switch
        {
            [var one] => one,
            [] => throw new ArgumentException($"no workload {name}{(@namespace is null ? "" : $" in namespace {@namespace}")}; `weft status` lists them"),
            _ => throw new ArgumentException($"{name} exists in several namespaces ({string.Join(", ", matches.Select(m => m.Namespace))}); pick one with -n or NAMESPACE/{name}"),
        };
    }

    /// <summary>As <see cref="Find"/>, and the workload must have a sidecar; returns its admin port.</summary>
    public static (WorkloadStatus Workload, string Admin) FindWithSidecar(MeshStatus status, string name, string? @namespace = null)
    {
        var workload = Find(status, name, @namespace);
        return workload.AdminEndpoint is { } admin ? (workload, admin) : throw new ArgumentException($"{workload.Namespace}/{workload.Workload} has no sidecar");
    }
}
