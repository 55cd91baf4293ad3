using Weft.Config.Model;

namespace Weft.Mesh.Model;

/// <summary>Everything the mesh compiler needs: the user's resources and the running instances.</summary>
public sealed record MeshSnapshot(IReadOnlyList<Resource> Resources, IReadOnlyList<WorkloadInstance> Instances, MeshOptions Options)
{
    public IEnumerable<T> OfType<T>() where T : Resource => Resources.OfType<T>();
}
