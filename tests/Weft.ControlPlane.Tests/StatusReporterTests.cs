using Microsoft.Extensions.Logging.Abstractions;
using Weft.Config.Model;
using Weft.ControlPlane.Api;
using Weft.ControlPlane.Certificates;
using Weft.ControlPlane.Registry;
using Weft.ControlPlane.State;
using Weft.Mesh.Model;

namespace Weft.ControlPlane.Tests;

/// <summary>How a workload's processes show in the status: a finished Job is done, a failed one is a problem.</summary>
public sealed class StatusReporterTests : IDisposable
{
    private readonly string _ca = Directory.CreateTempSubdirectory("weft-status-").FullName;

    public void Dispose() => Directory.Delete(_ca, recursive: true);

    [Theory]
    [InlineData(true, null, true, false, false, "sidecar is not connected to the control plane")] // running, its sidecar not yet connected
    [InlineData(true, 0, false, true, true, null)] // a Job that finished: completed, its sidecar stopped with it
    [InlineData(true, 3, false, true, false, "application exited with code 3")]
    [InlineData(false, null, false, false, true, null)] // un-meshed and running
    [InlineData(false, 0, false, true, true, null)]
    [InlineData(false, 3, false, true, false, "application is not running (exited with code 3)")]
    public void An_exited_application_is_completed_with_code_0_and_a_problem_otherwise(
        bool meshed, int? exitCode, bool sidecarRunning, bool exited, bool ready, string? problem)
    {
        var registry = new LocalRegistry();
        var workload = new Workload
        {
            Metadata = new ObjectMeta { Name = "migrate", Namespace = "shop" },
            Spec = new WorkloadSpec { Mesh = meshed, Command = ["migrate"] },
        };
        registry.Register(new WorkloadInstance { Workload = workload, Name = "migrate", Endpoints = new Dictionary<int, string>(), AppAddresses = new Dictionary<int, string>() });
        var runtime = registry.Runtime("shop/migrate");
        runtime.AppPid = 4242;
        runtime.AppRunning = exitCode is null;
        runtime.AppExitCode = exitCode;
        runtime.SidecarRunning = sidecarRunning;
        runtime.Phase = exitCode switch { null => InstancePhases.Running, 0 => InstancePhases.Completed, _ => InstancePhases.Error };
        using var source = new Weft.ControlPlane.Sources.DirectoryConfigSource(Path.GetTempPath(), TimeProvider.System);
        var reporter = new StatusReporter(new MeshState(new MeshOptions(), TimeProvider.System, NullLogger<MeshState>.Instance), registry, new ProxyTracker(),
            new ControlPlaneEndpoints("config", "http://127.0.0.1:1", "https://127.0.0.1:2"), CertificateAuthority.LoadOrCreate(_ca, "cluster.local", TimeProvider.System), source);

        var status = Assert.Single(reporter.Report().Workloads);

        Assert.Equal(exited, status.Exited);
        Assert.Equal(ready, status.Ready);
        Assert.Equal(problem, status.Problem);
    }

    [Theory]
    [InlineData(InstancePhases.CrashLoopBackOff, false, true, "back-off 20s restarting the application (restarts: 2)", "CrashLoopBackOff: application exited with code 137; back-off 20s restarting the application (restarts: 2)")]
    [InlineData(InstancePhases.Running, true, false, "readiness probe failed: GET /ready answered 503", "not ready: readiness probe failed: GET /ready answered 503")]
    [InlineData(InstancePhases.Terminating, true, false, "stopping", "not ready: stopping")]
    [InlineData(InstancePhases.Running, true, true, null, null)]
    public void A_crash_loop_or_a_withdrawn_instance_is_not_ready_and_says_why(string phase, bool appRunning, bool registryReady, string? reason, string? problem)
    {
        var registry = new LocalRegistry();
        var workload = new Workload
        {
            Metadata = new ObjectMeta { Name = "payments", Namespace = "shop" },
            Spec = new WorkloadSpec { Mesh = false, Command = ["payments"] },
        };
        registry.Register(new WorkloadInstance { Workload = workload, Name = "payments", Endpoints = new Dictionary<int, string>(), AppAddresses = new Dictionary<int, string>(), Ready = registryReady });
        var runtime = registry.Runtime("shop/payments");
        runtime.AppPid = 4242;
        runtime.AppRunning = appRunning;
        runtime.LastExitCode = 137;
        runtime.Restarts = 2;
        runtime.Phase = phase;
        runtime.Reason = reason;
        using var source = new Weft.ControlPlane.Sources.DirectoryConfigSource(Path.GetTempPath(), TimeProvider.System);
        var reporter = new StatusReporter(new MeshState(new MeshOptions(), TimeProvider.System, NullLogger<MeshState>.Instance), registry, new ProxyTracker(),
            new ControlPlaneEndpoints("config", "http://127.0.0.1:1", "https://127.0.0.1:2"), CertificateAuthority.LoadOrCreate(_ca, "cluster.local", TimeProvider.System), source);

        var status = Assert.Single(reporter.Report().Workloads);

        Assert.Equal(problem is null, status.Ready);
        Assert.Equal(problem, status.Problem);
        Assert.Equal((2, phase, 137, "payments"), (status.Restarts, status.Phase, status.LastExitCode, status.Owner));
    }
}
