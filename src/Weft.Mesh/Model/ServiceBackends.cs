namespace Weft.Mesh.Model;

/// <summary>
/// One service port as a client without a sidecar reaches it: the service's virtual IPs and port,
/// and the instances (with their workload port) behind it — what kube-proxy programs on a node.
/// </summary>
public sealed record ServiceBackends(string Fqdn, string Name, string Namespace, IReadOnlyList<string> Addresses, int Port, IReadOnlyList<ServiceBackend> Backends);

public sealed record ServiceBackend(string InstanceKey, int WorkloadPort);
