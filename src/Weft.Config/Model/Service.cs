namespace Weft.Config.Model;

/// <summary>A Kubernetes v1 Service: a name and ports in front of the workloads its selector picks.</summary>
public sealed class Service : Resource<ServiceSpec>
{
    public string Fqdn(string clusterDomain) => $"{Name}.{Namespace}.svc.{clusterDomain}";
}

public sealed class ServiceSpec
{
    public Dictionary<string, string>? Selector { get; init; }
    public List<ServicePort> Ports { get; init; } = [];
    public string? Type { get; init; }
    public string? ClusterIP { get; init; }
    public List<string>? ClusterIPs { get; init; }
    public string? ExternalName { get; init; }
    public string? SessionAffinity { get; init; }
    public List<string>? IpFamilies { get; init; }
    public string? IpFamilyPolicy { get; init; }
    public string? InternalTrafficPolicy { get; init; }
}

public sealed class ServicePort
{
    public string? Name { get; init; }
    public int Port { get; init; }
    /// <summary>A port number or the name of a workload port; defaults to <see cref="Port"/>.</summary>
    public IntOrString? TargetPort { get; init; }
    public string? Protocol { get; init; }
    public string? AppProtocol { get; init; }
    public int? NodePort { get; init; }
}

/// <summary>Kubernetes' int-or-string (targetPort: 9080 or targetPort: http).</summary>
public readonly record struct IntOrString(int? Number, string? Text)
{
    public override string ToString() => Number?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Text ?? "";
}
