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

    /// <summary>The Workload resource this instance is a replica of (`weft restart` takes its name).</summary>
    public string? Owner { get; init; }

    /// <summary>The app and sidecar restarts so far.</summary>
    public int Restarts { get; init; }

    /// <summary>Running, Starting, CrashLoopBackOff, Completed, Error or Terminating (Registry.InstancePhases).</summary>
    public string Phase { get; init; } = Registry.InstancePhases.Running;

    public int? LastExitCode { get; init; }
    public DateTimeOffset? LastExitAt { get; init; }

    /// <summary>Where the app's output is written (the last lines of a crash are there).</summary>
    public string? AppLogFile { get; init; }

    /// <summary>The application has exited for good (a Job that finished, or a failure its restart policy does not restart).</summary>
    public bool Exited => Phase is Registry.InstancePhases.Completed or Registry.InstancePhases.Error;
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
