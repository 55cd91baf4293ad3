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
}
