namespace Weft.Config.Model;

/// <summary>
/// Weft's stand-in for a Deployment and its pods in local mode (weft.dev/v1alpha1 Workload).
/// </summary>
public sealed class Workload : Resource<WorkloadSpec>
{
    public const string ApiGroupVersion = "weft.dev/v1alpha1";
}

public sealed class WorkloadSpec
{
    /// <summary>Identity: spiffe://&lt;trust domain&gt;/ns/&lt;namespace&gt;/sa/&lt;serviceAccount&gt;. Default "default".</summary>
    public string ServiceAccount { get; init; } = "default";
    public List<WorkloadPort> Ports { get; init; } = [];
    public List<string> Command { get; init; } = [];
    public Dictionary<string, string> Env { get; init; } = [];
    public int Replicas { get; init; } = 1;
    /// <summary>False: the workload runs without a sidecar (an un-meshed client or server).</summary>
    public bool Mesh { get; init; } = true;
}

public sealed class WorkloadPort
{
    public string? Name { get; init; }
    public int Port { get; init; }
    public string? AppProtocol { get; init; }
    public string? Protocol { get; init; }
}
