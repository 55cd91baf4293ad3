using Weft.Config.Model;

namespace Weft.Mesh.Model;

/// <summary>
/// One running replica of a Workload — a pod, in Kubernetes terms — and where it can be reached:
/// the registry's contribution to a snapshot, filled in by whichever runtime started it.
/// </summary>
public sealed record WorkloadInstance
{
    public required Workload Workload { get; init; }

    /// <summary>Unique within the namespace: the workload name, or name-N for replicas after the first.</summary>
    public required string Name { get; init; }

    /// <summary>Workload port → the address peers connect to (the sidecar's inbound listener, or the app itself when un-meshed).</summary>
    public required IReadOnlyDictionary<int, string> Endpoints { get; init; }

    /// <summary>Workload port → where the application itself listens (the sidecar forwards there).</summary>
    public required IReadOnlyDictionary<int, string> AppAddresses { get; init; }

    /// <summary>
    /// False while the instance must receive no requests — a pod that is not Ready: it is left out
    /// of every service's endpoints, yet its own sidecar still gets its config.
    /// </summary>
    public bool Serving { get; init; } = true;

    public string Namespace => Workload.Namespace;
    public bool Meshed => Workload.Spec.Mesh;
    public IReadOnlyDictionary<string, string> Labels => Workload.Metadata.Labels;
    public string Key => $"{Namespace}/{Name}";
}
