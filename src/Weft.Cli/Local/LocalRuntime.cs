using System.Globalization;
using Weft.Cli.Local.Transparent;
using Weft.Config.Model;
using Weft.ControlPlane.Hosting;
using Weft.ControlPlane.Registry;
using Weft.Mesh.Model;
using Weft.Proxy.Hosting;

namespace Weft.Cli.Local;

/// <summary>
/// Runs every Workload replica as a child process, each meshed one with its own sidecar, in one of
/// two ways. Explicit (the default): apps reach other services through HTTP_PROXY pointed at their
/// sidecar, and the sidecar takes the workload's inbound traffic on its own loopback port and hands
/// it to the app on a private one. Transparent (<paramref name="network"/> set): each replica is a
/// pod with its own network namespace and address; the app listens on its declared ports and calls
/// services by name with no proxy settings, and iptables captures both directions for the sidecar.
/// An app that exits (a Job) takes its sidecar with it. Sidecars run `weft proxy`, or
/// <paramref name="proxyProgram"/> with the same arguments (the NativeAOT `weft-proxy`).
/// </summary>
internal sealed class LocalRuntime(ControlPlaneHost controlPlane, string stateDirectory, IReadOnlyList<string>? proxyArguments = null,
    PodNetwork? network = null, Action<string>? report = null, string? proxyProgram = null) : IAsyncDisposable
{
    private readonly List<ChildProcess> _children = [];
    private readonly PortAllocator _ports = new();
    private readonly string _weft = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the weft executable");
    private string Proxy => proxyProgram ?? _weft;
    private readonly CancellationTokenSource _stopping = new();
    private Action<ControlPlane.State.PublishedMesh>? _onPublished;

    public async Task StartAsync(IReadOnlyList<Workload> workloads, CancellationToken cancellation)
    {
        var logs = Directory.CreateDirectory(Path.Combine(stateDirectory, "logs")).FullName;
        var secrets = Directory.CreateDirectory(Path.Combine(stateDirectory, "secrets")).FullName;
        var rootFile = Path.Combine(secrets, "control-plane-root.pem");
        await File.WriteAllTextAsync(rootFile, controlPlane.Authority.RootPem, cancellation);

        var placed = new List<PlacedInstance>();
        // One recompile for all the instances, not one per instance.
        using (controlPlane.LocalRegistry.Batch())
        {
            foreach (var workload in workloads)
            {
                for (var replica = 0; replica < workload.Spec.Replicas; replica++)
                {
                    var name = replica == 0 ? workload.Name : $"{workload.Name}-{replica.ToString(CultureInfo.InvariantCulture)}";
                    placed.Add(network is null ? PlaceOnLoopback(workload, name) : await PlaceInPodAsync(network, workload, name, cancellation));
                }
            }
        }

        if (network is not null)
        {
            // Hosts files and rules need every pod's address and every service's: all are registered by now.
            await network.ApplyAsync(controlPlane.State.Current?.Snapshot ?? throw new InvalidOperationException("no mesh published"), cancellation);
            _onPublished = published =>
            {
                if (published.Snapshot is { } snapshot)
                {
                    _ = ApplyNetworkAsync(network, snapshot);
                }
            };
            controlPlane.State.Published += _onPublished;
        }

        foreach (var instance in placed)
        {
            Start(instance, logs, secrets, rootFile);
        }
    }

    private async Task ApplyNetworkAsync(PodNetwork pods, MeshSnapshot snapshot)
    {
        try
        {
            await pods.ApplyAsync(snapshot, _stopping.Token);
        }
        catch (TransparentModeException e)
        {
            report?.Invoke($"transparent mode: updating hosts files and rules failed: {e.Message}");
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Explicit mode: every port of the replica gets a loopback port of its own.</summary>
    private PlacedInstance PlaceOnLoopback(Workload workload, string name)
    {
        var meshed = workload.Spec.Mesh;
        var runtime = controlPlane.LocalRegistry.Runtime($"{workload.Namespace}/{name}");
        var appAddresses = new Dictionary<int, string>();
        var endpoints = new Dictionary<int, string>();
        foreach (var port in workload.Spec.Ports)
        {
            var appPort = _ports.Next();
            var endpointPort = meshed ? _ports.Next() : appPort;
            appAddresses[port.Port] = $"127.0.0.1:{appPort}";
            endpoints[port.Port] = $"127.0.0.1:{endpointPort}";
            runtime.AppPorts[port.Port] = appPort;
            runtime.InboundPorts[port.Port] = endpointPort;
        }

        if (meshed)
        {
            runtime.OutboundPort = _ports.Next();
            runtime.AdminPort = _ports.Next();
        }

        return Register(workload, name, endpoints, appAddresses, runtime, pod: null);
    }

    /// <summary>Transparent mode: the replica gets a pod, and its ports are its own, at the pod's address.</summary>
    private async Task<PlacedInstance> PlaceInPodAsync(PodNetwork pods, Workload workload, string name, CancellationToken cancellation)
    {
        var meshed = workload.Spec.Mesh;
        var pod = await pods.AddPodAsync(workload.Namespace, name, meshed, cancellation);
        var runtime = controlPlane.LocalRegistry.Runtime($"{workload.Namespace}/{name}");
        runtime.Address = pod.Address.ToString();
        var appAddresses = new Dictionary<int, string>();
        var endpoints = new Dictionary<int, string>();
        foreach (var port in workload.Spec.Ports)
        {
            appAddresses[port.Port] = meshed ? $"127.0.0.1:{port.Port}" : $"{pod.Address}:{port.Port}";
            endpoints[port.Port] = $"{pod.Address}:{port.Port}";
            runtime.AppPorts[port.Port] = port.Port;
            runtime.InboundPorts[port.Port] = port.Port;
        }

        if (meshed)
        {
            runtime.OutboundPort = CaptureRules.OutboundCapturePort;
            runtime.AdminPort = CaptureRules.AdminPort;
        }

        return Register(workload, name, endpoints, appAddresses, runtime, pod);
    }

    private PlacedInstance Register(Workload workload, string name, Dictionary<int, string> endpoints, Dictionary<int, string> appAddresses, InstanceRuntime runtime, PodSandbox? pod)
    {
        var instance = new WorkloadInstance { Workload = workload, Name = name, Endpoints = endpoints, AppAddresses = appAddresses };
        var token = controlPlane.LocalRegistry.Register(instance);
        return new PlacedInstance(instance, runtime, token, pod);
    }

    private void Start(PlacedInstance placed, string logs, string secrets, string rootFile)
    {
        var (instance, runtime, token, pod) = placed;
        var workload = instance.Workload;
        var name = instance.Name;
        var environment = new Dictionary<string, string>(workload.Spec.Env)
        {
            ["WEFT_PARENT_PID"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            ["WEFT_INSTANCE"] = name,
            ["WEFT_NAMESPACE"] = workload.Namespace,
        };
        foreach (var (workloadPort, appPort) in runtime.AppPorts)
        {
            // Where the app must listen for each of its declared ports (PORT: the first one).
            environment[$"WEFT_PORT_{workloadPort}"] = appPort.ToString(CultureInfo.InvariantCulture);
        }

        if (workload.Spec.Ports.Count > 0)
        {
            environment["PORT"] = runtime.AppPorts[workload.Spec.Ports[0].Port].ToString(CultureInfo.InvariantCulture);
        }

        if (pod is not null)
        {
            environment["WEFT_POD_IP"] = pod.Address.ToString(); // as Kubernetes' downward API gives status.podIP
        }

        var label = $"{workload.Namespace}.{name}";
        var registryKey = instance.Key;
        ChildProcess? sidecar = null;
        if (instance.Meshed)
        {
            if (pod is null)
            {
                environment["HTTP_PROXY"] = environment["http_proxy"] = $"http://127.0.0.1:{runtime.OutboundPort}";
            }

            var tokenFile = Path.Combine(secrets, $"{label}.token");
            File.WriteAllText(tokenFile, token);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            var arguments = new List<string>
            {
                "proxy",
                "--workload", name,
                "--namespace", workload.Namespace,
                "--service-account", workload.Spec.ServiceAccount,
                "--trust-domain", controlPlane.State.Options.TrustDomain,
                "--control-plane", controlPlane.DiscoveryAddress,
                "--control-plane-root", rootFile,
                "--token-file", tokenFile,
                "--outbound-port", runtime.OutboundPort!.Value.ToString(CultureInfo.InvariantCulture),
                "--admin-port", runtime.AdminPort!.Value.ToString(CultureInfo.InvariantCulture),
                "--parent-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
                "--access-log", Path.Combine(logs, $"{label}.access.log"),
            };
            foreach (var (workloadPort, listenPort) in runtime.InboundPorts)
            {
                arguments.Add("--inbound");
                arguments.Add($"{workloadPort}={listenPort}");
            }

            if (pod is not null)
            {
                arguments.AddRange(["--pod-ip", pod.Address.ToString(), "--capture-inbound", CaptureRules.InboundCapturePort.ToString(CultureInfo.InvariantCulture)]);
            }

            arguments.AddRange(proxyArguments ?? []);
            var (program, sidecarArguments) = pod is null
                ? (Proxy, arguments)
                // In the pod's namespace, with the group the capture rules let through (its own connections are not captured).
                : ("ip", ["netns", "exec", pod.NetworkNamespace, "setpriv", $"--regid={CaptureRules.ProxyGroupId}", "--clear-groups", "--", Proxy, .. arguments]);
            sidecar = ChildProcess.Start($"{label}/sidecar", program, sidecarArguments, SidecarEnvironment, Path.Combine(logs, $"{label}.sidecar.log"));
            Track(sidecar, registryKey, isSidecar: true);
        }

        var command = workload.Spec.Command;
        var appProgram = command[0] == "weft" ? _weft : command[0];
        var app = pod is null
            ? ChildProcess.Start($"{label}/app", appProgram, command.Skip(1), environment, Path.Combine(logs, $"{label}.app.log"))
            : ChildProcess.Start($"{label}/app", "ip", ["netns", "exec", pod.NetworkNamespace, appProgram, .. command.Skip(1)], environment, Path.Combine(logs, $"{label}.app.log"));
        Track(app, registryKey, isSidecar: false, sidecar);
    }

    private void Track(ChildProcess child, string registryKey, bool isSidecar, ChildProcess? sidecar = null)
    {
        _children.Add(child);
        var runtime = controlPlane.LocalRegistry.Runtime(registryKey);
        if (isSidecar)
        {
            runtime.SidecarPid = child.Pid;
            runtime.SidecarRunning = true;
        }
        else
        {
            runtime.AppPid = child.Pid;
            runtime.AppRunning = true;
        }

        _ = child.Exited.ContinueWith(async _ =>
        {
            if (isSidecar)
            {
                runtime.SidecarRunning = false;
                runtime.SidecarExitCode = child.ExitCode;
                return;
            }

            runtime.AppRunning = false;
            runtime.AppExitCode = child.ExitCode;
            if (_stopping.IsCancellationRequested)
            {
                return; // the mesh is stopping: not news
            }

            // The pod is done when its app is (a Job): the sidecar drains and ends with it.
            if (sidecar is not null && !sidecar.HasExited)
            {
                await sidecar.StopAsync(TimeSpan.FromSeconds(10));
            }

            report?.Invoke($"{registryKey}: the application exited with code {child.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "?"}"
                + (sidecar is null ? "" : "; its sidecar stopped with it"));
        }, TaskScheduler.Default).Unwrap();
    }

    public async ValueTask DisposeAsync()
    {
        if (_onPublished is not null)
        {
            controlPlane.State.Published -= _onPublished;
        }

        await _stopping.CancelAsync();
        await Task.WhenAll(_children.Select(c => c.DisposeAsync().AsTask()));
        _children.Clear();
        _stopping.Dispose();
    }

    /// <summary>
    /// Runtime settings measured for a sidecar (bench/README.md): Workstation GC with a 4 MiB gen0
    /// budget took a sidecar's peak RSS from ~180 to ~105 MiB at the same throughput (bare hex:
    /// NativeAOT's runtime ignores a 0x prefix without a word); event-loop I/O (<see cref="InlineIo"/>)
    /// cut its CPU per request.
    /// </summary>
    private static readonly IReadOnlyDictionary<string, string> SidecarEnvironment = new Dictionary<string, string>
    {
        ["DOTNET_gcServer"] = "0",
        ["DOTNET_GCgen0size"] = "400000",
        [InlineIo.Variable] = "1",
    };

    private sealed record PlacedInstance(WorkloadInstance Instance, InstanceRuntime Runtime, string Token, PodSandbox? PodSandbox);
}
