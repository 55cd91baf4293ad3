using System.Globalization;
using Weft.Config.Model;
using Weft.ControlPlane.Hosting;
using Weft.Mesh.Model;

namespace Weft.Cli.Local;

/// <summary>
/// The local, explicit runtime: every Workload replica runs as a child process, each meshed one
/// with its own sidecar. Apps reach other services through HTTP_PROXY pointed at their sidecar;
/// the sidecar takes the workload's inbound traffic on its own port and hands it to the app on a
/// private loopback port.
/// </summary>
internal sealed class LocalRuntime(ControlPlaneHost controlPlane, string stateDirectory, IReadOnlyList<string>? proxyArguments = null) : IAsyncDisposable
{
    private readonly List<ChildProcess> _children = [];
    private readonly PortAllocator _ports = new();
    private readonly string _weft = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the weft executable");

    public async Task StartAsync(IReadOnlyList<Workload> workloads, CancellationToken cancellation)
    {
        var logs = Directory.CreateDirectory(Path.Combine(stateDirectory, "logs")).FullName;
        var secrets = Directory.CreateDirectory(Path.Combine(stateDirectory, "secrets")).FullName;
        var rootFile = Path.Combine(secrets, "control-plane-root.pem");
        await File.WriteAllTextAsync(rootFile, controlPlane.Authority.RootPem, cancellation);

        foreach (var workload in workloads)
        {
            for (var replica = 0; replica < workload.Spec.Replicas; replica++)
            {
                StartInstance(workload, replica, logs, secrets, rootFile);
            }
        }
    }

    private void StartInstance(Workload workload, int replica, string logs, string secrets, string rootFile)
    {
        var name = replica == 0 ? workload.Name : $"{workload.Name}-{replica.ToString(CultureInfo.InvariantCulture)}";
        var meshed = workload.Spec.Mesh;
        var appPorts = new Dictionary<int, string>();
        var endpoints = new Dictionary<int, string>();
        var registryKey = $"{workload.Namespace}/{name}";
        var runtime = controlPlane.Registry.Runtime(registryKey);
        foreach (var port in workload.Spec.Ports)
        {
            var appPort = _ports.Next();
            var endpointPort = meshed ? _ports.Next() : appPort;
            appPorts[port.Port] = $"127.0.0.1:{appPort}";
            endpoints[port.Port] = $"127.0.0.1:{endpointPort}";
            runtime.AppPorts[port.Port] = appPort;
            runtime.InboundPorts[port.Port] = endpointPort;
        }

        var outboundPort = meshed ? _ports.Next() : 0;
        var adminPort = meshed ? _ports.Next() : 0;

        var instance = new WorkloadInstance { Workload = workload, Name = name, Endpoints = endpoints, AppAddresses = appPorts };
        var token = controlPlane.Registry.Register(instance);
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

        var label = $"{workload.Namespace}.{name}";
        if (meshed)
        {
            runtime.OutboundPort = outboundPort;
            runtime.AdminPort = adminPort;
            environment["HTTP_PROXY"] = environment["http_proxy"] = $"http://127.0.0.1:{outboundPort}";
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
                "--outbound-port", outboundPort.ToString(CultureInfo.InvariantCulture),
                "--admin-port", adminPort.ToString(CultureInfo.InvariantCulture),
                "--parent-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
                "--access-log", Path.Combine(logs, $"{label}.access.log"),
            };
            foreach (var (workloadPort, listenPort) in runtime.InboundPorts)
            {
                arguments.Add("--inbound");
                arguments.Add($"{workloadPort}={listenPort}");
            }

            arguments.AddRange(proxyArguments ?? []);

            var sidecar = ChildProcess.Start($"{label}/sidecar", _weft, arguments, new Dictionary<string, string>(), Path.Combine(logs, $"{label}.sidecar.log"));
            Track(sidecar, registryKey, isSidecar: true);
        }

        var command = workload.Spec.Command;
        var program = command[0] == "weft" ? _weft : command[0];
        var app = ChildProcess.Start($"{label}/app", program, command.Skip(1), environment, Path.Combine(logs, $"{label}.app.log"));
        Track(app, registryKey, isSidecar: false);
    }

    private void Track(ChildProcess child, string registryKey, bool isSidecar)
    {
        _children.Add(child);
        var runtime = controlPlane.Registry.Runtime(registryKey);
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

        _ = child.Exited.ContinueWith(_ =>
        {
            if (isSidecar)
            {
                runtime.SidecarRunning = false;
                runtime.SidecarExitCode = child.ExitCode;
            }
            else
            {
                runtime.AppRunning = false;
                runtime.AppExitCode = child.ExitCode;
            }
        }, TaskScheduler.Default);
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_children.Select(c => c.DisposeAsync().AsTask()));
        _children.Clear();
    }
}
