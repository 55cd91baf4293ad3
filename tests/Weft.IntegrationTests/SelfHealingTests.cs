using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Weft.ControlPlane.Api;
using Weft.ControlPlane.Registry;

namespace Weft.IntegrationTests;

/// <summary>
/// The local runtime heals as the kubelet does: a killed app or sidecar is restarted and its
/// endpoint withdrawn meanwhile, a failing readiness probe withdraws it, a failing liveness probe
/// restarts the app, restart policies and crash loops show in status and check, and `weft restart`
/// replaces replicas without a failed request. Tests find api's replicas by owner, since a
/// restart gives them new names.
/// </summary>
public sealed class SelfHealingTests(SelfHealingTests.Fixture fixture) : IClassFixture<SelfHealingTests.Fixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly MeshProcess _mesh = fixture.Mesh;

    public sealed class Fixture() : MeshFixture("healing");

    [Fact]
    public async Task A_killed_app_is_withdrawn_while_down_and_restarted()
    {
        var (victim, other) = await ReplicasAsync();

        Process.GetProcessById(victim.AppPid!.Value).Kill();

        await Eventually.TrueAsync(async () => (await WorkloadAsync(victim.Workload)) is { Ready: false }, Deadline, "the killed replica to be withdrawn");
        await WaitForClientConfigAsync();
        // Requests sent once the client's sidecar has the config without it all go to the other replica.
        Assert.All(await SendAsync(20), served => Assert.Equal((HttpStatusCode.OK, other.Workload), served));

        await Eventually.TrueAsync(async () => (await WorkloadAsync(victim.Workload)) is { Ready: true, Restarts: >= 1 } w && w.AppPid != victim.AppPid,
            Deadline, "the killed app to be restarted and ready");
        await WaitForClientConfigAsync();
        await Eventually.TrueAsync(async () => (await SendAsync(10)).Contains((HttpStatusCode.OK, victim.Workload)), Deadline, "the restarted replica to serve again");
    }

    [Fact]
    public async Task A_killed_sidecar_is_restarted_and_its_workload_gets_no_requests_while_it_is_down()
    {
        var (victim, other) = await ReplicasAsync();

        Process.GetProcessById(victim.SidecarPid!.Value).Kill();

        await Eventually.TrueAsync(async () => (await WorkloadAsync(victim.Workload)) is { Ready: false }, Deadline, "the replica without a sidecar to be withdrawn");
        await WaitForClientConfigAsync();
        var during = await SendAsync(10);

        await Eventually.TrueAsync(async () => (await WorkloadAsync(victim.Workload)) is { Ready: true, SidecarRunning: true } w && w.SidecarPid != victim.SidecarPid,
            Deadline, "the sidecar to be restarted and ready");
        Assert.All(during, served => Assert.Equal((HttpStatusCode.OK, other.Workload), served));
        Assert.True((await WorkloadAsync(victim.Workload)).Restarts > victim.Restarts);
        await WaitForClientConfigAsync();
        await Eventually.TrueAsync(async () => (await SendAsync(10)).Contains((HttpStatusCode.OK, victim.Workload)), Deadline, "the replica to serve again");
    }

    [Fact]
    public async Task A_failing_readiness_probe_withdraws_the_endpoint_until_it_passes_again()
    {
        var (victim, other) = await ReplicasAsync();
        using var app = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var appUrl = $"http://127.0.0.1:{victim.AppPorts[9080].ToString(CultureInfo.InvariantCulture)}";
        try
        {
            (await app.PutAsync($"{appUrl}/demo/ready?ok=false", null)).EnsureSuccessStatusCode();

            await Eventually.TrueAsync(async () => (await WorkloadAsync(victim.Workload)) is { Ready: false, Problem: { } problem } && problem.Contains("readiness probe failed", StringComparison.Ordinal),
                Deadline, "the unready replica to be withdrawn");
            await WaitForClientConfigAsync();
            Assert.All(await SendAsync(20), served => Assert.Equal((HttpStatusCode.OK, other.Workload), served));
            Assert.Equal(victim.AppPid, (await WorkloadAsync(victim.Workload)).AppPid); // not ready is not dead: no restart
        }
        finally
        {
            await app.PutAsync($"{appUrl}/demo/ready?ok=true", null);
        }

        await Eventually.TrueAsync(async () => (await WorkloadAsync(victim.Workload)).Ready, Deadline, "the replica to be ready again");
        await WaitForClientConfigAsync();
        await Eventually.TrueAsync(async () => (await SendAsync(10)).Contains((HttpStatusCode.OK, victim.Workload)), Deadline, "the replica to serve again");
    }

    [Fact]
    public async Task A_failing_liveness_probe_restarts_the_app()
    {
        var (victim, _) = await ReplicasAsync();
        using var app = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        (await app.PutAsync($"http://127.0.0.1:{victim.AppPorts[9080].ToString(CultureInfo.InvariantCulture)}/demo/live?ok=false", null)).EnsureSuccessStatusCode();

        await Eventually.TrueAsync(async () => (await WorkloadAsync(victim.Workload)) is { Ready: true } w && w.AppPid != victim.AppPid && w.Restarts > victim.Restarts,
            Deadline, "the unhealthy app to be restarted");
        Assert.Contains($"{victim.Namespace}/{victim.Workload}: liveness probe failed 2 times", _mesh.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_crash_loop_shows_in_status_and_check_with_its_exit_code_and_last_output()
    {
        await Eventually.TrueAsync(async () => (await WorkloadAsync("crasher")).Phase == InstancePhases.CrashLoopBackOff, Deadline, "crasher to back off");
        var crasher = await WorkloadAsync("crasher");

        var (statusExit, status) = await _mesh.RunCliAsync("status");
        var (checkExit, check) = await _mesh.RunCliAsync("check");

        Assert.Equal(0, statusExit);
        Assert.Matches(@"shop/crasher\s.*CrashLoopBackOff\s+\d+\s+NO: CrashLoopBackOff: application exited with code 3; back-off \d+s", status);
        Assert.True(crasher.Restarts >= 1);
        Assert.Equal(1, checkExit);
        Assert.Matches(@"✘ shop/crasher: CrashLoopBackOff: restarted \d+ time\(s\), last exit code 3 at .*; its last output \(.*shop\.crasher\.app\.log\):", check);
        Assert.Contains("crasher/v1 (crasher): exiting with code 3 as asked", check, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_that_succeeds_completes_and_one_that_fails_under_never_stays_failed()
    {
        await Eventually.TrueAsync(async () => (await WorkloadAsync("job")).Exited && (await WorkloadAsync("once")).Exited, Deadline, "the jobs to finish");

        var job = await WorkloadAsync("job");
        var once = await WorkloadAsync("once");

        Assert.Equal((InstancePhases.Completed, true, 0, 0), (job.Phase, job.Ready, job.Restarts, job.LastExitCode));
        Assert.Equal((InstancePhases.Error, false, 0, 4), (once.Phase, once.Ready, once.Restarts, once.LastExitCode));
    }

    [Fact]
    public async Task Weft_restart_replaces_both_replicas_one_at_a_time_with_no_failed_request()
    {
        var before = await ReplicasAsync();
        using var load = new CancellationTokenSource();
        var results = new List<HttpStatusCode>();
        var senders = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            using var client = await _mesh.ClientOfAsync("client");
            while (!load.IsCancellationRequested)
            {
                using var response = await client.GetAsync("http://api/");
                lock (results)
                {
                    results.Add(response.StatusCode);
                }
            }
        })).ToList();

        var (exit, output) = await _mesh.RunCliAsync("restart", "api");
        await Task.Delay(500); // a little traffic after the last old replica stopped
        await load.CancelAsync();
        await Task.WhenAll(senders);

        Assert.True(exit == 0, output);
        Assert.Matches(@"shop/api restarted\n\s+[\d.]+s  shop/api-\d+ replaced shop/api", output);
        var after = (await _mesh.StatusAsync()).Workloads.Where(w => w.Owner == "api").ToList();
        Assert.Equal(2, after.Count);
        Assert.DoesNotContain(after, w => w.Workload == before.Victim.Workload || w.Workload == before.Other.Workload);
        Assert.All(after, w => Assert.True(w.Ready, w.Problem));
        Assert.True(results.Count > 20, $"only {results.Count} requests were sent");
        Assert.All(results, status => Assert.Equal(HttpStatusCode.OK, status));
    }

    private async Task<(WorkloadStatus Victim, WorkloadStatus Other)> ReplicasAsync()
    {
        IReadOnlyList<WorkloadStatus> replicas = [];
        await Eventually.TrueAsync(async () =>
        {
            replicas = (await _mesh.StatusAsync()).Workloads.Where(w => w.Owner == "api").OrderBy(w => w.Workload, StringComparer.Ordinal).ToList();
            return replicas.Count == 2 && replicas.All(r => r.Ready);
        }, Deadline, "both api replicas to be ready");
        await WaitForClientConfigAsync();
        return (replicas[0], replicas[1]);
    }

    private async Task<WorkloadStatus> WorkloadAsync(string name) => (await _mesh.StatusAsync()).Workloads.Single(w => w.Workload == name);

    /// <summary>The client's sidecar runs the latest config: the registry's view of api has reached it.</summary>
    private Task WaitForClientConfigAsync() => Eventually.TrueAsync(async () =>
        (await WorkloadAsync("client")).Proxy is { } proxy && proxy.AckedVersion == proxy.ExpectedVersion, Deadline, "the client's sidecar to take the latest config");

    /// <summary>Sends requests to api from the client and says who answered each.</summary>
    private async Task<List<(HttpStatusCode, string?)>> SendAsync(int count)
    {
        using var client = await _mesh.ClientOfAsync("client");
        var served = new List<(HttpStatusCode, string?)>();
        for (var i = 0; i < count; i++)
        {
            using var response = await client.GetAsync("http://api/");
            var body = await response.Content.ReadAsStringAsync();
            served.Add((response.StatusCode, response.IsSuccessStatusCode ? JsonDocument.Parse(body).RootElement.GetProperty("instance").GetString() : body));
        }

        return served;
    }
}

/// <summary>Ctrl-C (here SIGTERM, as a service manager sends) lets a request in flight finish before the processes stop.</summary>
public sealed class GracefulStopTests
{
    [Fact]
    public async Task Stopping_the_mesh_lets_a_request_in_flight_finish()
    {
        await using var mesh = await MeshProcess.StartAsync("draining");
        var api = (await mesh.StatusAsync()).Workloads.Single(w => w.Workload == "api");
        using var app = new HttpClient();
        var appUrl = $"http://127.0.0.1:{api.AppPorts[9080].ToString(CultureInfo.InvariantCulture)}";
        (await app.PutAsync($"{appUrl}/demo/behavior?delay=2000", null)).EnsureSuccessStatusCode();

        using var client = await mesh.ClientOfAsync("client");
        var inFlight = client.GetAsync("http://api/slow");
        // The request has reached the app, which answers 2 s later.
        await Eventually.TrueAsync(async () => JsonDocument.Parse(await app.GetStringAsync($"{appUrl}/demo/stats")).RootElement.GetProperty("requests").GetInt64() >= 1,
            TimeSpan.FromSeconds(30), "the request to reach the app");

        Signals.Terminate(mesh.Pid);
        using var response = await inFlight;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("api", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("instance").GetString());
        await Eventually.TrueAsync(() => Task.FromResult(mesh.Output.Contains("stopping the mesh", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), "weft up to stop");
    }
}
