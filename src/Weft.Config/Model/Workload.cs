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

    /// <summary>Kubernetes' pod restartPolicy: Always (the default, as for a Deployment), OnFailure or Never.</summary>
    public string RestartPolicy { get; init; } = RestartPolicies.Always;

    public Probe? ReadinessProbe { get; init; }
    public Probe? LivenessProbe { get; init; }
    public Probe? StartupProbe { get; init; }
}

public static class RestartPolicies
{
    public const string Always = "Always";
    public const string OnFailure = "OnFailure";
    public const string Never = "Never";

    public static readonly string[] All = [Always, OnFailure, Never];
}

public sealed class WorkloadPort
{
    public string? Name { get; init; }
    public int Port { get; init; }
    public string? AppProtocol { get; init; }
    public string? Protocol { get; init; }
}

/// <summary>A container probe with Kubernetes' field names and defaults; exactly one of httpGet, tcpSocket, exec.</summary>
public sealed class Probe
{
    public HttpGetAction? HttpGet { get; init; }
    public TcpSocketAction? TcpSocket { get; init; }
    public ExecAction? Exec { get; init; }
    public int InitialDelaySeconds { get; init; }
    public int PeriodSeconds { get; init; } = 10;
    public int TimeoutSeconds { get; init; } = 1;
    public int SuccessThreshold { get; init; } = 1;
    public int FailureThreshold { get; init; } = 3;
}

public sealed class HttpGetAction
{
    public string Path { get; init; } = "/";
    /// <summary>A workload port's number or name.</summary>
    public IntOrString Port { get; init; }
    /// <summary>Where to connect; by default the app's own address.</summary>
    public string? Host { get; init; }
    public string Scheme { get; init; } = "HTTP";
    public List<HttpHeader> HttpHeaders { get; init; } = [];
}

public sealed class HttpHeader
{
    public string Name { get; init; } = "";
    public string Value { get; init; } = "";
}

public sealed class TcpSocketAction
{
    public IntOrString Port { get; init; }
    public string? Host { get; init; }
}

public sealed class ExecAction
{
    public List<string> Command { get; init; } = [];
}
