using System.Net.Http.Json;
using System.Text.Json;
using Weft.ControlPlane.Api;
using Weft.ControlPlane.Hosting;

namespace Weft.Cli.Commands;

/// <summary>What `weft up` writes so that other commands can find the running mesh.</summary>
internal sealed record MeshFile(string ApiAddress, int Pid, string ConfigDirectory, string StateDirectory);

/// <summary>Reads the running mesh's state through the control plane's API.</summary>
internal sealed class MeshApiClient(MeshFile mesh) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri(mesh.ApiAddress), Timeout = Timeout.InfiniteTimeSpan };

    public MeshFile Mesh => mesh;

    /// <summary>The running mesh, or an explanation of why there is none.</summary>
    public static MeshApiClient Open(string stateDirectory)
    {
        var path = StatePaths.MeshFile(stateDirectory);
        if (!File.Exists(path))
        {
            throw new MeshNotRunningException($"no mesh is running (no {path}); start one with `weft up DIR`");
        }

        var mesh = JsonSerializer.Deserialize<MeshFile>(File.ReadAllText(path), ControlPlaneHost.JsonOptions)
            ?? throw new MeshNotRunningException($"{path} is empty");
        return new MeshApiClient(mesh);
    }

    public async Task<MeshStatus> GetStatusAsync(CancellationToken cancellation)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            return await _http.GetFromJsonAsync<MeshStatus>("/api/v1/status", ControlPlaneHost.JsonOptions, timeout.Token)
                ?? throw new MeshNotRunningException("the control plane answered with an empty status");
        }
        catch (HttpRequestException e)
        {
            throw new MeshNotRunningException($"the control plane at {mesh.ApiAddress} does not answer ({e.Message}); is `weft up` (pid {mesh.Pid}) still running?");
        }
    }

    /// <summary>Runs a root CA rotation on the control plane and waits for it to finish.</summary>
    public Task<(bool Completed, string Json)> RotateRootAsync(TimeSpan stepTimeout, CancellationToken cancellation) =>
        PostAsync($"/api/v1/ca/rotate?stepTimeoutSeconds={stepTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            stepTimeout * 3 + TimeSpan.FromSeconds(10), cancellation);

    /// <summary>Replaces a workload's replicas one at a time (`weft restart`) and waits for the rollout to finish.</summary>
    public Task<(bool Completed, string Json)> RestartAsync(string @namespace, string workload, CancellationToken cancellation) =>
        PostAsync($"/api/v1/workloads/{Uri.EscapeDataString(@namespace)}/{Uri.EscapeDataString(workload)}/restart", TimeSpan.FromMinutes(10), cancellation);

    private async Task<(bool Completed, string Json)> PostAsync(string path, TimeSpan limit, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(limit);
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token);
            return (response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(timeout.Token));
        }
        catch (HttpRequestException e)
        {
            throw new MeshNotRunningException($"the control plane at {mesh.ApiAddress} does not answer ({e.Message}); is `weft up` (pid {mesh.Pid}) still running?");
        }
    }

    public void Dispose() => _http.Dispose();
}

internal sealed class MeshNotRunningException(string message) : Exception(message);
