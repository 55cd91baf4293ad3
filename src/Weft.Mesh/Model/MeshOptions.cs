namespace Weft.Mesh.Model;

/// <summary>Mesh-wide settings (Istio's MeshConfig subset that Weft reads).</summary>
public sealed record MeshOptions
{
    /// <summary>The SPIFFE trust domain. The default is "cluster.local".</summary>
    public string TrustDomain { get; init; } = "cluster.local";

    /// <summary>The DNS suffix of service names. The default is "cluster.local".</summary>
    public string ClusterDomain { get; init; } = "cluster.local";

    /// <summary>Policies here apply mesh-wide. The default is "istio-system", as in Istio.</summary>
    public string RootNamespace { get; init; } = "istio-system";
}
