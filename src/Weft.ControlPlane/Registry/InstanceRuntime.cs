namespace Weft.ControlPlane.Registry;

/// <summary>What the runtime that started an instance reports about it: its ports and processes.</summary>
public sealed class InstanceRuntime
{
    /// <summary>The address its ports are reached at: loopback, or its own IP in transparent mode.</summary>
    public string Address { get; set; } = Api.WorkloadStatus.Loopback;

    public int? OutboundPort { get; set; }
    public int? AdminPort { get; set; }
    /// <summary>Workload port → the port the sidecar (or the un-meshed app) accepts on.</summary>
    public Dictionary<int, int> InboundPorts { get; } = [];
    /// <summary>Workload port → the port the application listens on.</summary>
    public Dictionary<int, int> AppPorts { get; } = [];
    public int? AppPid { get; set; }
    public int? SidecarPid { get; set; }
    public bool AppRunning { get; set; }
    public bool SidecarRunning { get; set; }
    public int? AppExitCode { get; set; }
    public int? SidecarExitCode { get; set; }

    /// <summary>How often the app and the sidecar were restarted, together (the RESTARTS of `kubectl get pods`).</summary>
    public int Restarts { get; set; }

    /// <summary>Kubernetes' name for where the instance is: Running, CrashLoopBackOff, Completed, Error, Terminating…</summary>
    public string Phase { get; set; } = InstancePhases.Starting;

    /// <summary>Why it is not ready, when the runtime knows (a failing probe, a restart pending).</summary>
    public string? Reason { get; set; }

    /// <summary>The app's last exit code and when it exited, kept across restarts (`weft check` shows them).</summary>
    public int? LastExitCode { get; set; }
    public DateTimeOffset? LastExitAt { get; set; }

    /// <summary>The app's output file, for the last lines of a crash.</summary>
    public string? AppLogFile { get; set; }
}

/// <summary>The phases an instance reports; CrashLoopBackOff is the one `weft check` names.</summary>
public static class InstancePhases
{
    public const string Starting = "Starting";
    public const string Running = "Running";
    public const string CrashLoopBackOff = "CrashLoopBackOff";
    public const string Completed = "Completed";
    public const string Error = "Error";
    public const string Terminating = "Terminating";
}
