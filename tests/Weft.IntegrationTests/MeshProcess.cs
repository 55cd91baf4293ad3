using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Weft.ControlPlane.Api;
using Weft.ControlPlane.Hosting;
using Weft.ControlPlane.Registry;
using Weft.Testing;

namespace Weft.IntegrationTests;

/// <summary>
/// A real `weft up` of a private copy of examples/payments: its own config and state directories,
/// real processes and sockets on 127.0.0.1. Stopped with SIGINT, as a user's Ctrl-C would.
/// </summary>
public sealed class MeshProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly HttpClient _api = new() { Timeout = TimeSpan.FromSeconds(10) };

    private MeshProcess(Process process, string configDirectory, string stateDirectory)
    {
        _process = process;
        ConfigDirectory = configDirectory;
        StateDirectory = stateDirectory;
    }

    public string ConfigDirectory { get; }
    public string StateDirectory { get; }
    public string ApiAddress { get; private set; } = "";
    public int Pid => _process.Id;
    public string Output { get { lock (_output) { return _output.ToString(); } } }

    public static string WeftExecutable => Path.Combine(AppContext.BaseDirectory, "weft");

    /// <summary>Starts a mesh from a copy of <paramref name="example"/>: a directory under examples/, or under this project's Meshes/.</summary>
    public static async Task<MeshProcess> StartAsync(string example = "payments", params string[] extraArguments)
    {
        var source = Directory.Exists(Path.Combine(AppContext.BaseDirectory, "Meshes", example))
            ? Path.Combine(AppContext.BaseDirectory, "Meshes", example)
            : Repository.Example(example);
        var root = Directory.CreateTempSubdirectory("weft-it-").FullName;
        var config = Path.Combine(root, "config");
        var state = Path.Combine(root, "state");
        Directory.CreateDirectory(config);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(config, Path.GetFileName(file)));
        }

        return await LaunchAsync(config, state, extraArguments);
    }

    /// <summary>Starts another `weft up` of an earlier mesh's config and state directories (after it stopped or crashed).</summary>
    public static Task<MeshProcess> RestartAsync(MeshProcess earlier, params string[] extraArguments) =>
        LaunchAsync(earlier.ConfigDirectory, earlier.StateDirectory, extraArguments);

    private static async Task<MeshProcess> LaunchAsync(string config, string state, string[] extraArguments)
    {
        var info = new ProcessStartInfo(WeftExecutable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "up", config, "--state-dir", state }.Concat(extraArguments))
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info)!;
        var mesh = new MeshProcess(process, config, state);
        process.OutputDataReceived += (_, e) => mesh.Append(e.Data);
        process.ErrorDataReceived += (_, e) => mesh.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await mesh.WaitUntilReadyAsync();
        }
        catch
        {
            await mesh.DisposeAsync();
            throw;
        }

        return mesh;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        var meshFile = Path.Combine(StateDirectory, "mesh.json");
        // A mesh.json left by an earlier (crashed) weft up names another pid: wait for this one's.
        async Task<bool> WrittenByThisProcess()
        {
            using var written = JsonDocument.Parse(await File.ReadAllTextAsync(meshFile));
            return written.RootElement.GetProperty("pid").GetInt32() == _process.Id;
        }

        await Eventually.TrueAsync(async () => _process.HasExited || (File.Exists(meshFile) && await WrittenByThisProcess()),
            StartTimeout, "weft up to write mesh.json");
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"weft up exited with {_process.ExitCode}:\n{Output}");
        }

        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(meshFile));
        ApiAddress = document.RootElement.GetProperty("apiAddress").GetString()!;
        // Settled: ready, finished, or crash-looping (which no wait would change).
        await Eventually.TrueAsync(async () => (await StatusAsync()).Workloads.All(w => w.Ready || w.Exited || w.Phase == InstancePhases.CrashLoopBackOff),
            StartTimeout, "every workload to be ready");
    }

    public async Task<MeshStatus> StatusAsync() =>
        (await _api.GetFromJsonAsync<MeshStatus>($"{ApiAddress}/api/v1/status", ControlPlaneHost.JsonOptions))!;

    public async Task<WorkloadStatus> WorkloadAsync(string name) => (await StatusAsync()).Workloads.Single(w => w.Workload == name);

    /// <summary>An HTTP client that sends as the app of <paramref name="workload"/>: through its sidecar.</summary>
    public async Task<HttpClient> ClientOfAsync(string workload)
    {
        var status = await WorkloadAsync(workload);
        var handler = new SocketsHttpHandler
        {
            Proxy = new System.Net.WebProxy($"http://127.0.0.1:{status.OutboundPort}"),
            UseProxy = true,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>Runs the weft CLI against this mesh and returns its exit code and output.</summary>
    public async Task<(int ExitCode, string Output)> RunCliAsync(params string[] arguments)
    {
        var (exitCode, stdout, stderr) = await WeftCli.RunAsync([.. arguments, "--state-dir", StateDirectory]);
        return (exitCode, stdout + stderr);
    }

    /// <summary>Stops the mesh as Ctrl-C does and returns weft up's exit code.</summary>
    public async Task<int> InterruptAsync()
    {
        if (!_process.HasExited)
        {
            Signals.Interrupt(_process.Id);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(timeout.Token);
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        var children = new List<int>();
        try
        {
            if (!_process.HasExited && ApiAddress.Length > 0)
            {
                children.AddRange((await StatusAsync()).Workloads.SelectMany(w => new[] { w.AppPid, w.SidecarPid }).OfType<int>());
            }
        }
        catch (HttpRequestException)
        {
        }

        try
        {
            if (!_process.HasExited)
            {
                // Cleanup, not a test of Ctrl-C: weft up stops the same way on SIGTERM (the pods' network
                // included), which a test run cannot have inherited as ignored.
                Signals.Terminate(_process.Id);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await _process.WaitForExitAsync(timeout.Token);
            }
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }

        foreach (var pid in children)
        {
            try
            {
                Process.GetProcessById(pid).Kill(entireProcessTree: true);
            }
            catch (ArgumentException)
            {
                // already gone, as it should be
            }
        }

        _process.Dispose();
        _api.Dispose();
        try
        {
            Directory.Delete(Path.GetDirectoryName(ConfigDirectory)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Polls a condition until it holds or a deadline passes: tests never sleep for readiness.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or InvalidOperationException or System.Text.Json.JsonException)
            {
                last = e;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"timed out after {timeout.TotalSeconds}s waiting for {what}{(last is null ? "" : $" (last error: {last.Message})")}");
    }
}
