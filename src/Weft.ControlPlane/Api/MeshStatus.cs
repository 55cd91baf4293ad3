using Weft.Config.Loading;

namespace Weft.ControlPlane.Api;

/// <summary>The answer to "what is running and is it healthy", as the CLI and scripts read it.</summary>
public sealed record MeshStatus(ControlPlaneStatus ControlPlane, IReadOnlyList<WorkloadStatus> Workloads);

public sealed record ControlPlaneStatus(
    string Version,
    string ConfigDirectory,
    string ApiAddress,
    string DiscoveryAddress,
    DateTimeOffset? PublishedAt,
    IReadOnlyList<string> Warnings,
    RejectionStatus? LastRejection,
    DateTimeOffset RootCertificateExpiry)
{
    /// <summary>Resources refused one by one (a cluster's objects); each one's last good version stays in force.</summary>
    public IReadOnlyList<string> RefusedResources { get; init; } = [];
}

public sealed record RejectionStatus(DateTimeOffset At, IReadOnlyList<string> Errors);

public sealed record WorkloadStatus(
    string Workload,
    string Namespace,
    string Identity,
    bool Meshed,
    int? OutboundPort,
    IReadOnlyDictionary<int, int> InboundPorts,
    IReadOnlyDictionary<int, int> AppPorts,
    int? AdminPort,
    int? AppPid,
    int? SidecarPid,
    bool AppRunning,
    bool SidecarRunning,
    ProxySyncStatus? Proxy,
    bool Ready,
    string? Problem,
    string Address = WorkloadStatus.Loopback)
{
    /// <summary>Where an instance's ports are in explicit mode (all on this host's loopback).</summary>
    public const string Loopback = "127.0.0.1";

    /// <summary>host:port of the sidecar's admin endpoint (metrics, tap, config dump); null when un-meshed.</summary>
    public string? AdminEndpoint => AdminPort is { } port ? $"{Address}:{port}" : null;

    /// <summary>A pod with an address of its own (transparent mode): iptables brings its app's traffic to the sidecar.</summary>
    public bool InOwnNetwork => Address != Loopback;

    /// <summary>The application has exited (a Job that finished, or a crash): nothing more will start.</summary>
    public bool Exited => !AppRunning && AppPid is not null;
}

public sealed record ProxySyncStatus(
    bool Connected,
    string? ExpectedVersion,
    string? AckedVersion,
    string? LastNack,
    DateTimeOffset? CertificateExpiry,
    DateTimeOffset? CertificateIssuedAt);

internal static class DiagnosticText
{
    public static IReadOnlyList<string> Of(IEnumerable<ConfigDiagnostic> diagnostics) => diagnostics.Select(d => d.ToString()).ToList();
}
