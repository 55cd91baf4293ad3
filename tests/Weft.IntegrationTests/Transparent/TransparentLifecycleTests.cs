using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Weft.IntegrationTests.Transparent;

/// <summary>
/// A transparent mesh over a bad network (netem on a pod's link), and what `weft up --transparent`
/// leaves behind when it stops — nothing — or when it crashes: found and removed at the next start.
/// </summary>
[Collection(TransparentCollection.Name)]
public sealed class TransparentLifecycleTests(TransparentLifecycleTests.Fixture fixture) : IClassFixture<TransparentLifecycleTests.Fixture>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly MeshProcess _mesh = fixture.Mesh;

    public sealed class Fixture() : TransparentMeshFixture("transparent-faults");

    [TransparentFact("tc")]
    public async Task Over_a_slow_lossy_link_retries_keep_callers_whole_and_outlier_detection_ejects_the_replica()
    {
        var ledger = TransparentHost.ReadLedger(_mesh.StateDirectory);
        var index = ledger.Namespaces.FindIndex(n => n.EndsWith("-payments-payments-b", StringComparison.Ordinal));
        var checkout = await _mesh.WorkloadAsync("checkout");
        var gateway = (await _mesh.StatusAsync()).ControlPlane.DiscoveryAddress.Split("//")[1].Split(':')[0];
        // Warm first: a cold sidecar's first handshakes can outlast a per-try timeout on a busy machine,
        // and a replica ejected for that would hide what the faulty link does.
        var warm = new HashSet<string>();
        await Eventually.TrueAsync(async () =>
        {
            using var response = await Http.GetAsync($"http://{checkout.Address}:9080/call?url=http://payments.payments/");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                warm.Add(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("instance").GetString()!);
            }

            return warm.Count == 2;
        }, TimeSpan.FromSeconds(60), "both replicas to serve checkout");

        await using var link = await FaultyLink.ApplyAsync(ledger.HostVeths[index], ledger.Namespaces[index], gateway);
        var served = new List<string>();
        for (var i = 0; i < 24; i++)
        {
            using var response = await Http.GetAsync($"http://{checkout.Address}:9080/call?url=http://payments.payments/");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"request {i} over {link.How}: {(int)response.StatusCode} {body}");
            served.Add(JsonDocument.Parse(body).RootElement.GetProperty("instance").GetString()!);
        }

        // Its per-try timeouts (gateway errors) ejected payments-b: the last requests all went to payments-a.
        Assert.All(served.TakeLast(10), instance => Assert.Equal("payments-a", instance));
        var metrics = await Http.GetStringAsync($"http://{checkout.AdminEndpoint}/metrics");
        Assert.Contains("weft_outlier_ejected_endpoints{cluster_name=\"outbound|80||payments.payments.svc.cluster.local\"} 1", metrics, StringComparison.Ordinal);
    }

    [TransparentFact]
    public async Task Stopping_leaves_nothing_and_a_crash_is_cleaned_up_at_the_next_start()
    {
        var crashed = await MeshProcess.StartAsync("transparent-faults", "--transparent");
        string bridge;
        try
        {
            var ledger = TransparentHost.ReadLedger(crashed.StateDirectory);
            bridge = ledger.Bridge;
            Assert.NotEmpty(await TransparentHost.LeftoversAsync(bridge));

            // kill -9: no cleanup runs. The namespaces, links and rules stay behind.
            Process.GetProcessById(crashed.Pid).Kill();
            await Eventually.TrueAsync(() => Task.FromResult(!Directory.Exists($"/proc/{crashed.Pid}")), TimeSpan.FromSeconds(10), "weft up to die");
            var left = await TransparentHost.LeftoversAsync(bridge);
            Assert.Contains(left, l => l.StartsWith("netns ", StringComparison.Ordinal));
            Assert.Contains(left, l => l.StartsWith("rule ", StringComparison.Ordinal));

            // The next start from the same state directory finds the ledger and removes all of it first.
            var restarted = await MeshProcess.RestartAsync(crashed, "--transparent");
            try
            {
                Assert.Contains($"left behind: bridge {bridge}", restarted.Output, StringComparison.Ordinal);
                var newBridge = TransparentHost.ReadLedger(restarted.StateDirectory).Bridge;
                Assert.Equal(0, await restarted.InterruptAsync());
                Assert.Empty(await TransparentHost.LeftoversAsync(newBridge));
                Assert.Empty(await TransparentHost.LeftoversAsync(bridge));
                Assert.False(File.Exists(Path.Combine(restarted.StateDirectory, "transparent-network.json")));
            }
            finally
            {
                await restarted.DisposeAsync();
            }
        }
        finally
        {
            await crashed.DisposeAsync();
        }
    }
}
