using System.Globalization;
using Weft.Cli.Local.Supervision;
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
/// Each replica is kept running by an <see cref="InstanceSupervisor"/> (restart policy, probes,
/// readiness); `weft restart` replaces a workload's replicas one at a time. Sidecars run
/// `weft proxy`, or <paramref name="proxyProgram"/> with the same arguments (the NativeAOT `weft-proxy`).
/// </summary>
internal sealed class LocalRuntime(ControlPlaneHost controlPlane, string stateDirectory, IReadOnlyList<string>? proxyArguments = null,
    PodNetwork? network = null, Action<string>? report = null, string? proxyProgram = null, LocalRuntimeOptions? options = null)
    : IAsyncDisposable, IWorkloadRestarter
{
    private readonly List<InstanceSupervisor> _supervisors = [];
    private readonly Dictionary<string, int> _nextReplica = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _rollouts = new(1, 1);
    private readonly PortAllocator _ports = new();
    private readonly string _weft = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the weft executable");
    private readonly LocalRuntimeOptions _options = options ?? new LocalRuntimeOptions();
    private string Proxy => proxyProgram ?? _weft;
    private readonly CancellationTokenSource _stopping = new();
    private Action<ControlPlane.State.PublishedMesh>? _onPublished;
    private string _logs = "", _secrets = "", _rootFile = "";

    public async Task StartAsync(IReadOnlyList<Workload> workloads, CancellationToken cancellation)
    {
        _logs = Directory.CreateDirectory(Path.Combine(stateDirectory, "logs")).FullName;
        _secrets = Directory.CreateDirectory(Path.Combine(stateDirectory, "secrets")).FullName;
        _rootFile = Path.Combine(_secrets, "control-plane-root.pem");
        await File.WriteAllTextAsync(_rootFile, controlPlane.Authority.RootPem, cancellation);

        var placed = new List<PlacedInstance>();
        // One recompile for all the instances, not one per instance.
        using (controlPlane.LocalRegistry.Batch())
        {
            foreach (var workload in workloads)
            {
                for (var replica = 0; replica < workload.Spec.Replicas; replica++)
                {
                    placed.Add(await PlaceAsync(workload, ReplicaName(workload, replica), cancellation));
                }

                _nextReplica[$"{workload.Namespace}/{workload.Name}"] = workload.Spec.Replicas;
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
            Start(instance);
        }

        controlPlane.LocalRegistry.Restarter = this;
    }

    private static string ReplicaName(Workload workload, int replica) =>
        replica == 0 ? workload.Name : $"{workload.Name}-{replica.ToString(CultureInfo.InvariantCulture)}";

    private async Task<PlacedInstance> PlaceAsync(Workload workload, string name, CancellationToken cancellation) =>
        network is null ? PlaceOnLoopback(workload, name) : await PlaceInPodAsync(network, workload, name, cancellation);

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
        // Not ready until its supervisor has seen the app start (and pass its probes) and the sidecar ready.
        var instance = new WorkloadInstance { Workload = workload, Name = name, Endpoints = endpoints, AppAddresses = appAddresses, Ready = false };
        var token = controlPlane.LocalRegistry.Register(instance);
        return new PlacedInstance(instance, runtime, token, pod);
    }

    private InstanceSupervisor Start(PlacedInstance placed)
    {
        var (instance, runtime, token, pod) = placed;
        var (logs, secrets, rootFile) = (_logs, _secrets, _rootFile);
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
        Func<ChildProcess>? startSidecar = null;
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
            startSidecar = () => ChildProcess.Start($"{label}/sidecar", program, sidecarArguments, SidecarEnvironment, Path.Combine(logs, $"{label}.sidecar.log"));
        }

        var command = workload.Spec.Command;
        var appProgram = command[0] == "weft" ? _weft : command[0];
        var appLog = Path.Combine(logs, $"{label}.app.log");
        runtime.AppLogFile = appLog;
        string[] netns = pod is null ? [] : ["ip", "netns", "exec", pod.NetworkNamespace];
        Func<ChildProcess> startApp = pod is null
            ? () => ChildProcess.Start($"{label}/app", appProgram, command.Skip(1), environment, appLog)
            : () => ChildProcess.Start($"{label}/app", "ip", [.. netns.Skip(1), appProgram, .. command.Skip(1)], environment, appLog);
        var probes = new Probes.ProbeTarget(runtime.Address, workload.Spec.Ports, new Dictionary<int, int>(runtime.AppPorts), netns, environment);
        var admin = runtime.AdminPort is { } adminPort ? $"{runtime.Address}:{adminPort.ToString(CultureInfo.InvariantCulture)}" : null;
        var supervisor = new InstanceSupervisor(new SupervisedInstance(instance.Key, workload, startApp, startSidecar, admin, probes), controlPlane.LocalRegistry, _options.Time, report);
        lock (_supervisors)
        {
            _supervisors.Add(supervisor);
        }

        supervisor.Start();
        return supervisor;
    }

    /// <summary>
    /// `weft restart`: for each replica in turn, a new one is started (a new name, as a new pod
    /// would get), and once it is ready the old one is withdrawn, drained and stopped.
    /// </summary>
    public async Task<RolloutResult> RestartAsync(string @namespace, string workload, CancellationToken cancellation)
    {
        await _rollouts.WaitAsync(cancellation);
        try
        {
            List<InstanceSupervisor> old;
            lock (_supervisors)
            {
                old = _supervisors.Where(s => s.Workload.Namespace == @namespace && s.Workload.Name == workload).ToList();
            }

            if (old.Count == 0)
            {
                throw new ArgumentException($"no workload {@namespace}/{workload} is running");
            }

            var steps = new List<RolloutStep>();
            var key = $"{@namespace}/{workload}";
            foreach (var replaced in old)
            {
                var started = _options.Time.GetTimestamp();
                var replica = _nextReplica[key]++;
                var placed = await PlaceAsync(replaced.Workload, ReplicaName(replaced.Workload, replica), cancellation);
                if (network is not null)
                {
                    await network.ApplyAsync(controlPlane.State.Current?.Snapshot ?? throw new InvalidOperationException("no mesh published"), cancellation);
                }

                var replacement = Start(placed);
                var deadline = _options.Time.GetUtcNow() + _options.RolloutReadyTimeout;
                while (!replacement.Ready)
                {
                    if (_options.Time.GetUtcNow() > deadline)
                    {
                        // As a stuck rollout: the new replica stays (and is retried by its supervisor), the old one keeps serving.
                        throw new TimeoutException($"{placed.Instance.Key} did not become ready within {_options.RolloutReadyTimeout.TotalSeconds:0}s; {replaced.Key} keeps running (see `weft status`, `weft logs {placed.Instance.Name} --app`)");
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(50), _options.Time, cancellation);
                }

                await StopAsync([replaced]);
                steps.Add(new RolloutStep(replaced.Key, placed.Instance.Key, _options.Time.GetElapsedTime(started).TotalSeconds));
                report?.Invoke($"{key}: {placed.Instance.Key} replaced {replaced.Key}");
            }

            return new RolloutResult(key, steps);
        }
        finally
        {
            _rollouts.Release();
        }
    }

    /// <summary>
    /// Graceful stop, as a pod's termination: endpoints withdrawn first (and that config ACKed by
    /// the proxies, or the drain timeout spent), then each app gets SIGTERM and the drain timeout to
    /// finish its requests, then its sidecar.
    /// </summary>
    private async Task StopAsync(IReadOnlyList<InstanceSupervisor> supervisors)
    {
        using (controlPlane.LocalRegistry.Batch())
        {
            foreach (var supervisor in supervisors)
            {
                supervisor.Withdraw();
            }
        }

        await WaitForProxiesAsync(supervisors.Select(s => s.Key).ToHashSet(StringComparer.Ordinal), _options.DrainTimeout);
        await Task.WhenAll(supervisors.Select(s => s.StopProcessesAsync(_options.DrainTimeout)));
        using (controlPlane.LocalRegistry.Batch())
        {
            foreach (var supervisor in supervisors)
            {
                lock (_supervisors)
                {
                    _supervisors.Remove(supervisor);
                }

                controlPlane.LocalRegistry.Remove(supervisor.Key);
            }
        }

        foreach (var supervisor in supervisors)
        {
            await supervisor.DisposeAsync();
        }
    }

    /// <summary>Until every other connected proxy has ACKed the config in force (bounded): then none sends new requests to the withdrawn ones.</summary>
    private async Task WaitForProxiesAsync(IReadOnlySet<string> leaving, TimeSpan limit)
    {
        var deadline = _options.Time.GetUtcNow() + limit;
        while (_options.Time.GetUtcNow() < deadline)
        {
            var current = controlPlane.State.Current;
            var pending = current is not null && current.Proxies.Any(p => !leaving.Contains(p.Key)
                && controlPlane.Tracker.Find(p.Key) is { Connected: true } tracked && tracked.AckedVersion != p.Value.Version);
            if (!pending)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), _options.Time);
        }
    }

    public async ValueTask DisposeAsync()
    {
        controlPlane.LocalRegistry.Restarter = null;
        if (_onPublished is not null)
        {
            controlPlane.State.Published -= _onPublished;
        }

        List<InstanceSupervisor> running;
        lock (_supervisors)
        {
            running = [.. _supervisors];
        }

        await StopAsync(running);
        await _stopping.CancelAsync();
        _stopping.Dispose();
        _rollouts.Dispose();
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
