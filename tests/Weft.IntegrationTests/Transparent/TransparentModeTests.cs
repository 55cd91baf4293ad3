using System.Net;
using System.Text;
using System.Text.Json;
using Weft.ControlPlane.Api;
using Weft.ControlPlane.Registry;

namespace Weft.IntegrationTests.Transparent;

/// <summary>
/// `weft up --transparent`: every workload a network-namespace pod, apps with no proxy settings
/// calling services by name, iptables capturing both directions for the sidecar. The apps are
/// driven from the host through their own /call endpoint, so each call is the app's own.
/// </summary>
[Collection(TransparentCollection.Name)]
public sealed class TransparentModeTests(TransparentModeTests.Fixture fixture) : IClassFixture<TransparentModeTests.Fixture>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly MeshProcess _mesh = fixture.Mesh;

    public sealed class Fixture() : TransparentMeshFixture("transparent");

    /// <summary>Has the app of <paramref name="workload"/> GET <paramref name="url"/> (no proxy configured anywhere).</summary>
    private async Task<(HttpStatusCode Status, string Body)> CallAsync(string workload, string url)
    {
        var pod = await _mesh.WorkloadAsync(workload);
        using var response = await Http.GetAsync($"http://{pod.Address}:9080/call?url={Uri.EscapeDataString(url)}");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Field(string body, string name) => JsonDocument.Parse(body).RootElement.GetProperty(name).ToString();

    [TransparentFact]
    public async Task Every_workload_is_a_pod_with_its_own_address_and_no_proxy_settings()
    {
        var status = await _mesh.StatusAsync();
        var pods = status.Workloads.Where(w => w.Workload != "migrate").ToList();
        Assert.All(pods, w => Assert.StartsWith("10.77.", w.Address, StringComparison.Ordinal));
        Assert.Equal(pods.Count, pods.Select(w => w.Address).Distinct().Count());
        Assert.All(pods.Where(w => w.Meshed), w => Assert.Equal(15001, w.OutboundPort));
        Assert.StartsWith("https://10.77.", status.ControlPlane.DiscoveryAddress, StringComparison.Ordinal);

        // The app's environment: no HTTP_PROXY, only its pod address.
        var checkout = pods.Single(w => w.Workload == "checkout");
        var environment = await File.ReadAllTextAsync($"/proc/{checkout.AppPid}/environ");
        Assert.DoesNotContain("HTTP_PROXY", environment, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"WEFT_POD_IP={checkout.Address}", environment, StringComparison.Ordinal);
    }

    [TransparentFact]
    public async Task Calls_by_service_name_follow_the_split_and_retries_hide_v2s_failures()
    {
        var versions = new Dictionary<string, int>();
        for (var i = 0; i < 200; i++)
        {
            var (status, body) = await CallAsync("checkout", "http://payments/");
            Assert.True(status == HttpStatusCode.OK, $"request {i}: {(int)status} {body}");
            var version = Field(body, "version");
            versions[version] = versions.GetValueOrDefault(version) + 1;
            Assert.Equal("URI=spiffe://cluster.local/ns/shop/sa/checkout", Field(body, "caller"));
        }

        // 10% of 200 is 20; v2 fails half its requests and each failure is retried (maybe onto v1).
        Assert.InRange(versions.GetValueOrDefault("v2"), 6, 40);
        Assert.Equal(200, versions.Values.Sum());
    }

    [TransparentFact]
    public async Task Authorization_holds_the_fraud_workload_gets_403_naming_the_policy()
    {
        var (status, body) = await CallAsync("fraud", "http://payments.payments.svc.cluster.local/");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("payments/only-checkout", body, StringComparison.Ordinal);
    }

    [TransparentFact]
    public async Task An_unmeshed_pod_is_the_plaintext_client_strict_refuses_and_permissive_accepts()
    {
        var (strict, refusal) = await CallAsync("legacy", "http://payments.payments/");
        Assert.Equal(HttpStatusCode.Forbidden, strict);
        Assert.Contains("mtls-required", refusal, StringComparison.Ordinal);

        var (permissive, body) = await CallAsync("legacy", "http://ledger.books/");
        Assert.Equal(HttpStatusCode.OK, permissive);
        Assert.Equal("ledger", Field(body, "service"));
        Assert.Equal("", Field(body, "caller")); // no identity: it came in plaintext
    }

    [TransparentFact]
    public async Task Opaque_tcp_to_a_service_name_is_captured_and_relayed_over_mtls()
    {
        var checkout = TransparentHost.ReadLedger(_mesh.StateDirectory).Namespaces.Single(n => n.EndsWith("-shop-checkout", StringComparison.Ordinal));
        // bash's /dev/tcp: a plain TCP client that resolves the name through the pod's hosts file.
        var echoed = await TransparentHost.RunAsync("ip", "netns", "exec", checkout, "bash", "-c",
            "exec 3<>/dev/tcp/ledger.books/7000; echo hello >&3; timeout 10 head -1 <&3");
        Assert.Equal("ledger/v1: hello", echoed.Trim());

        var metrics = await Http.GetStringAsync($"http://{(await _mesh.WorkloadAsync("ledger")).AdminEndpoint}/metrics");
        Assert.Contains("istio_tcp_connections_opened_total{reporter=\"destination\",source_workload=\"checkout\"", metrics, StringComparison.Ordinal);
    }

    [TransparentFact("tcpdump")]
    public async Task Between_meshed_pods_the_bridge_carries_only_tls()
    {
        var ledger = TransparentHost.ReadLedger(_mesh.StateDirectory);
        var status = await _mesh.StatusAsync();
        var meshed = status.Workloads.Where(w => w.Meshed).Select(w => IPAddress.Parse(w.Address)).ToHashSet();
        await using var capture = await PacketCapture.StartAsync(ledger.Bridge, "tcp");
        var answered = 0;
        for (var i = 0; i < 20; i++)
        {
            // What the capture must show is how calls cross the bridge, whatever they answer.
            answered += (await CallAsync("checkout", "http://payments/")).Status == HttpStatusCode.OK ? 1 : 0;
            answered += (await CallAsync("checkout", "http://ledger.books/")).Status == HttpStatusCode.OK ? 1 : 0;
        }

        Assert.True(answered > 0, "no call between the pods succeeded");

        var segments = await capture.StopAsync();
        var podToPod = segments.Where(s => meshed.Contains(s.Source.Address) && meshed.Contains(s.Destination.Address)).ToList();
        Assert.NotEmpty(podToPod);
        foreach (var segment in podToPod)
        {
            // TLS records only: handshake (22), change cipher spec (20), alert (21), application data (23).
            Assert.True(segment.Payload[0] is 20 or 21 or 22 or 23, $"{segment.Source} → {segment.Destination}: a segment starting with 0x{segment.Payload[0]:x2} is not TLS");
            Assert.DoesNotContain("HTTP/1.1", Encoding.ASCII.GetString(segment.Payload), StringComparison.Ordinal);
        }

        // The host's own plaintext calls into the pods were on the wire too: the capture could see plaintext.
        Assert.Contains(segments, s => Encoding.ASCII.GetString(s.Payload).Contains("GET /call", StringComparison.Ordinal));
    }

    [TransparentFact]
    public async Task A_job_that_exits_takes_its_sidecar_with_it_and_up_reports_its_exit_code()
    {
        WorkloadStatus migrate = null!;
        await Eventually.TrueAsync(async () => (migrate = await _mesh.WorkloadAsync("migrate")) is { AppRunning: false, SidecarRunning: false },
            TimeSpan.FromSeconds(60), "the job and its sidecar to exit");
        Assert.False(migrate.Ready);
        Assert.Equal("application exited with code 3", migrate.Problem);
        Assert.Contains("shop/migrate: the application exited with code 3 (Error; restartPolicy Never); its sidecar stopped with it", _mesh.Output, StringComparison.Ordinal);
        Assert.Equal((InstancePhases.Error, 0), (migrate.Phase, migrate.Restarts));

        var ns = TransparentHost.ReadLedger(_mesh.StateDirectory).Namespaces.Single(n => n.EndsWith("-shop-migrate", StringComparison.Ordinal));
        Assert.Equal("", (await TransparentHost.RunAsync("ip", "netns", "pids", ns)).Trim());
    }

    [TransparentFact]
    public async Task Cli_commands_reach_the_sidecars_at_their_pod_addresses()
    {
        Assert.Equal(HttpStatusCode.OK, (await CallAsync("checkout", "http://payments/")).Status);
        var (exitCode, output) = await _mesh.RunCliAsync("stat", "--window", "1m");
        Assert.True(exitCode == 0, output);
        Assert.Contains("shop/checkout", output, StringComparison.Ordinal);
        var (_, status) = await _mesh.RunCliAsync("status");
        Assert.Contains("ADDRESS", status, StringComparison.Ordinal);
        var (listenersExit, listeners) = await _mesh.RunCliAsync("proxy-config", "listeners", "checkout");
        Assert.True(listenersExit == 0, listeners);
        Assert.Contains("via 15006 (iptables) → app 127.0.0.1:9080", listeners, StringComparison.Ordinal);
    }
}
