using Weft.Config.Model;

namespace Weft.Mesh.Model;

/// <summary>Everything the mesh compiler needs: the user's resources and the running instances.</summary>
public sealed record MeshSnapshot(IReadOnlyList<Resource> Resources, IReadOnlyList<WorkloadInstance> Instances, MeshOptions Options)
{
    /// <summary>
    /// Service FQDN → the virtual IP the runtime assigned it (Kubernetes' clusterIP, which the API
    /// server assigns); empty when the runtime assigns none. A Service's own spec.clusterIP wins.
    /// </summary>
    public IReadOnlyDictionary<string, string> ServiceAddresses { get; init; } = new Dictionary<string, string>();

    public IEnumerable<T> OfType<T>() where T : Resource => Resources.OfType<T>();
}
