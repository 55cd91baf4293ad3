using Weft.Mesh.Model;

namespace Weft.ControlPlane.Registry;

/// <summary>
/// Where the running instances come from — the processes `weft up` started, or a cluster's pods —
/// and what the runtime knows of each one's ports and processes.
/// </summary>
public interface IWorkloadRegistry
{
    IReadOnlyList<WorkloadInstance> Instances { get; }

    /// <summary>Raised after the set of instances (or one's readiness) changed.</summary>
    event Action? Changed;

    /// <summary>The runtime's record of an instance's ports and processes (created on first use).</summary>
    InstanceRuntime Runtime(string key);
}

/// <summary>Who a proxy is: it presents a credential and names the workload it claims to be.</summary>
public interface IProxyAuthenticator
{
    ValueTask<ProxyAuthentication> AuthenticateAsync(string? credential, string workload, string @namespace, CancellationToken cancellation);
}

/// <summary>The instance a proxy proved to be, or why it could not.</summary>
public sealed record ProxyAuthentication(WorkloadInstance? Instance, string? Refusal)
{
    public static ProxyAuthentication Refused(string reason) => new(null, reason);

    public static ProxyAuthentication Of(WorkloadInstance instance) => new(instance, null);
}
