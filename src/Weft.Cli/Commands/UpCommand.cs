using System.Text.Json;
using Microsoft.Extensions.Logging;
using Weft.Cli.Local;
using Weft.Cli.Local.Transparent;
using Weft.Config.Model;
using Weft.ControlPlane.Hosting;

namespace Weft.Cli.Commands;

/// <summary>`weft up DIR`: the control plane in-process, every workload with its sidecar, until Ctrl-C.</summary>
internal static class UpCommand
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private const string Usage = "usage: weft up DIR [--transparent] [--state-dir DIR] [--prometheus-sd FILE] [--cert-lifetime 24h] [--otlp-endpoint URL] [--trace-sampling PERCENT] [--access-log file|off|stdout] [--proxy EXECUTABLE] [--drain-timeout 5s]";

    private static readonly string[] KnownOptions = ["--transparent", "--state-dir", "--prometheus-sd", "--cert-lifetime", "--otlp-endpoint", "--trace-sampling", "--access-log", "--proxy", "--drain-timeout"];

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellation)
    {
        var arguments = new CliArguments(args, "--transparent");
        if (arguments.Positionals.Count != 1)
        {
            throw new ArgumentException(Usage);
        }

        foreach (var name in arguments.OptionNames)
        {
            if (Array.IndexOf(KnownOptions, name) < 0)
            {
                throw new ArgumentException($"unknown option {name}\n{Usage}");
            }
        }

        var directory = arguments.Positionals[0];
        if (!Directory.Exists(directory))
        {
            Console.Error.WriteLine($"weft up: {directory}: no such directory");
            return 2;
        }

        // Passed to every sidecar as given, once checked here so a typo fails before anything starts.
        var proxyArguments = new List<string>();
        if (arguments["--otlp-endpoint"] is { } otlp)
        {
            proxyArguments.AddRange(["--otlp-endpoint", Weft.Proxy.Hosting.ProxyOptions.OtlpTracesUrl(otlp)]);
        }

        switch (arguments["--access-log"])
        {
            case null or "file":
                break; // the default: <state>/logs/<ns>.<workload>.access.log, which `weft logs` reads
            case "off":
                proxyArguments.AddRange(["--access-log", "off"]);
                break;
            case "stdout":
                proxyArguments.AddRange(["--access-log", "-"]); // into the sidecar's log: `weft logs W --sidecar`
                break;
            case var unknown:
                throw new ArgumentException($"--access-log: '{unknown}' is not one of file, off, stdout");
        }

        if (arguments["--trace-sampling"] is { } sampling)
        {
            if (!double.TryParse(sampling, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var percent) || percent is < 0 or > 100)
            {
                throw new ArgumentException($"--trace-sampling: '{sampling}' is not a percentage (0-100)");
            }

            proxyArguments.AddRange(["--trace-sampling", sampling]);
        }

        // Sidecars from another executable that takes `weft proxy`'s arguments: the NativeAOT weft-proxy (bench/README.md).
        var proxyProgram = arguments["--proxy"] is { } proxy ? Path.GetFullPath(proxy) : null;
        if (proxyProgram is not null && ExecutableProblem(proxyProgram) is { } problem)
        {
            Console.Error.WriteLine($"weft up --proxy: {proxyProgram}: {problem}");
            return 2;
        }

        var stateDirectory = Path.GetFullPath(arguments.StateDirectory);
        Directory.CreateDirectory(stateDirectory);
        var meshFile = StatePaths.MeshFile(stateDirectory);
        if (File.Exists(meshFile) && JsonSerializer.Deserialize<MeshFile>(File.ReadAllText(meshFile), ControlPlaneHost.JsonOptions) is { } other
            && other.Pid != Environment.ProcessId && Directory.Exists($"/proc/{other.Pid}"))
        {
            Console.Error.WriteLine($"weft up: a mesh is already running from {stateDirectory} (pid {other.Pid}); stop it or use --state-dir");
            return 1;
        }

        var transparent = arguments["--transparent"] is not null;
        if (transparent && TransparentPrerequisites.Missing() is { } missing)
        {
            Console.Error.WriteLine($"weft up --transparent: {missing}");
            return 2;
        }

        using var loggerFactory = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            })
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("Grpc", LogLevel.Warning));
        // Transparent mode: the pods' network first, since the control plane listens on its bridge.
        PodNetwork? network = null;
        if (transparent)
        {
            try
            {
                network = await PodNetwork.CreateAsync(stateDirectory, Console.WriteLine, cancellation);
            }
            catch (TransparentModeException e)
            {
                Console.Error.WriteLine($"weft up --transparent: {e.Message}");
                return 1;
            }
        }

        await using var podNetwork = network;
        var options = new ControlPlaneOptions
        {
            DiscoveryListenAddress = network?.Subnet.Gateway ?? System.Net.IPAddress.Loopback,
            ServiceAddressRange = network?.Subnet.Services,
            ConfigDirectory = directory,
            StateDirectory = stateDirectory,
            CertificateLifetime = arguments["--cert-lifetime"] is { } lifetime
                ? Config.Model.Duration.TryParse(lifetime, out var parsed) && parsed.Value >= TimeSpan.FromSeconds(5) ? parsed.Value : throw new ArgumentException($"--cert-lifetime: '{lifetime}' is not a duration of at least 5s")
                : TimeSpan.FromHours(24),
        };
        var (controlPlane, initial) = await ControlPlaneHost.StartAsync(options, loggerFactory, cancellation);
        if (controlPlane is null)
        {
            Console.Error.WriteLine($"weft up: the config in {directory} is invalid:");
            foreach (var diagnostic in initial.Diagnostics)
            {
                Console.Error.WriteLine("  " + diagnostic);
            }

            return 1;
        }

        await using (controlPlane)
        {
            var runtimeOptions = new LocalRuntimeOptions
            {
                DrainTimeout = arguments["--drain-timeout"] is { } drain
                    ? Config.Model.Duration.TryParse(drain, out var drainTimeout) && drainTimeout.Value >= TimeSpan.Zero ? drainTimeout.Value : throw new ArgumentException($"--drain-timeout: '{drain}' is not a duration")
                    : TimeSpan.FromSeconds(5),
            };
            await using var runtime = new LocalRuntime(controlPlane, stateDirectory, proxyArguments, network, Console.WriteLine, proxyProgram, runtimeOptions);
            var workloads = initial.Resources.OfType<Workload>().OrderBy(w => w.Namespace, StringComparer.Ordinal).ThenBy(w => w.Name, StringComparer.Ordinal).ToList();
            try
            {
                if (network is not null)
                {
                    await network.AllowControlPlaneAsync(controlPlane.DiscoveryPort, cancellation);
                }

                await runtime.StartAsync(workloads, cancellation);
            }
            catch (TransparentModeException e)
            {
                Console.Error.WriteLine($"weft up --transparent: {e.Message}");
                return 1;
            }

            // Written whole and renamed into place: other commands may read it at any moment.
            await File.WriteAllTextAsync(meshFile + ".tmp", JsonSerializer.Serialize(
                new MeshFile(controlPlane.ApiAddress, Environment.ProcessId, Path.GetFullPath(directory), stateDirectory), ControlPlaneHost.JsonOptions), cancellation);
            File.Move(meshFile + ".tmp", meshFile, overwrite: true);
            try
            {
                var status = await WaitForReadyAsync(controlPlane, cancellation);
                var targets = Path.GetFullPath(arguments["--prometheus-sd"] ?? Path.Combine(stateDirectory, "prometheus-targets.json"));
                await PrometheusTargets.WriteAsync(targets, status, cancellation);
                Console.WriteLine(StatusCommand.Format(status));
                Console.WriteLine(status.Workloads.All(w => w.Ready)
                    ? $"the mesh is up: {status.Workloads.Count} workloads. Logs: {Path.Combine(stateDirectory, "logs")}. Prometheus targets: {targets}. Ctrl-C stops everything."
                    : "some workloads are not ready (see READY); the mesh keeps running. Ctrl-C stops everything.");
                await Task.Delay(Timeout.Infinite, cancellation);
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                Console.WriteLine("stopping the mesh…");
            }
            finally
            {
                File.Delete(meshFile);
            }
        }

        return 0;
    }

    private static string? ExecutableProblem(string path)
    {
        if (!File.Exists(path))
        {
            return Directory.Exists(path) ? "is a directory, not an executable" : "no such file";
        }

        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & anyExecute) != 0 ? null : "not executable (chmod +x)";
    }

    private static async Task<ControlPlane.Api.MeshStatus> WaitForReadyAsync(ControlPlaneHost controlPlane, CancellationToken cancellation)
    {
        var deadline = DateTimeOffset.UtcNow + ReadyTimeout;
        while (true)
        {
            var status = controlPlane.Status.Report();
            // A crash loop will not end by waiting: the table shows it.
            if (status.Workloads.All(w => w.Ready || w.Exited || w.Phase == ControlPlane.Registry.InstancePhases.CrashLoopBackOff) || DateTimeOffset.UtcNow > deadline)
            {
                return status;
            }

            await Task.Delay(100, cancellation);
        }
    }
}
