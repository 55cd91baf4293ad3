using System.Net;
using System.Text.Json;

namespace Weft.IntegrationTests;

/// <summary>The seed's canary through real sidecars: the split, authorization and resilience.</summary>
public sealed class CanaryTrafficTests(PaymentsMeshFixture fixture) : IClassFixture<PaymentsMeshFixture>
{
    private MeshProcess Mesh => fixture.Mesh;

    [Fact]
    public async Task Checkout_traffic_to_payments_splits_90_10_between_v1_and_v2()
    {
        using var checkout = await Mesh.ClientOfAsync("checkout");
        var versions = new Dictionary<string, int>();
        const int total = 2000;
        var tasks = Enumerable.Range(0, 8).Select(async _ =>
        {
            var counts = new Dictionary<string, int>();
            for (var i = 0; i < total / 8; i++)
            {
                using var response = await checkout.GetAsync("http://payments/");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var version = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("version").GetString()!;
                counts[version] = counts.GetValueOrDefault(version) + 1;
            }

            return counts;
        });
        foreach (var counts in await Task.WhenAll(tasks))
        {
            foreach (var (version, count) in counts)
            {
                versions[version] = versions.GetValueOrDefault(version) + count;
            }
        }

        var v1Share = 100.0 * versions.GetValueOrDefault("v1") / total;
        var v2Share = 100.0 * versions.GetValueOrDefault("v2") / total;
        Assert.InRange(v1Share, 87, 93);
        Assert.InRange(v2Share, 7, 13);
        Assert.Equal(total, versions.Values.Sum());
    }

    [Fact]
    public async Task The_dogfood_header_always_gets_the_canary()
    {
        using var checkout = await Mesh.ClientOfAsync("checkout");
        for (var i = 0; i < 50; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "http://payments/");
            request.Headers.Add("x-canary", "true");
            using var response = await checkout.SendAsync(request);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("v2", body.GetProperty("version").GetString());
        }
    }

    [Fact]
    public async Task The_app_sees_the_callers_verified_identity()
    {
        using var checkout = await Mesh.ClientOfAsync("checkout");
        var body = JsonDocument.Parse(await checkout.GetStringAsync("http://payments.payments.svc.cluster.local/")).RootElement;
        Assert.Equal("URI=spiffe://cluster.local/ns/shop/sa/checkout", body.GetProperty("caller").GetString());
        Assert.Equal("payments", body.GetProperty("service").GetString());
    }

    [Fact]
    public async Task Fraud_is_denied_by_the_policy_that_names_only_checkout()
    {
        using var fraud = await Mesh.ClientOfAsync("fraud");
        using var response = await fraud.GetAsync("http://payments/charge");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var reason = string.Join(",", response.Headers.GetValues("x-weft-reason"));
        Assert.StartsWith("authz-denied", reason, StringComparison.Ordinal);
        Assert.Contains("payments/only-checkout", reason, StringComparison.Ordinal);
        Assert.Contains("spiffe://cluster.local/ns/shop/sa/fraud", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_host_gets_no_route_from_the_sidecar()
    {
        using var checkout = await Mesh.ClientOfAsync("checkout");
        using var response = await checkout.GetAsync("http://inventory/");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("no-route", Assert.Single(response.Headers.GetValues("x-weft-reason")));
    }

    [Fact]
    public async Task Half_of_v2_failing_with_503_is_hidden_by_retries_and_counted()
    {
        var v2 = await Mesh.WorkloadAsync("payments-v2");
        using var direct = new HttpClient();
        (await direct.PutAsync($"http://127.0.0.1:{v2.AppPorts[9080]}/demo/behavior?fail=0.5&status=503", null)).EnsureSuccessStatusCode();
        try
        {
            using var checkout = await Mesh.ClientOfAsync("checkout");
            for (var i = 0; i < 200; i++)
            {
                using var response = await checkout.GetAsync("http://payments/");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            var admin = (await Mesh.WorkloadAsync("checkout")).AdminPort;
            var metrics = await direct.GetStringAsync($"http://127.0.0.1:{admin}/metrics");
            var retries = metrics.Split('\n').Single(l => l.StartsWith("envoy_cluster_upstream_rq_retry{cluster_name=\"outbound|80|v2|payments.payments.svc.cluster.local\"}", StringComparison.Ordinal));
            Assert.True(long.Parse(retries.Split(' ')[^1]) > 0, retries);
        }
        finally
        {
            await direct.PutAsync($"http://127.0.0.1:{v2.AppPorts[9080]}/demo/behavior?fail=0", null);
        }
    }

    [Fact]
    public async Task An_attempt_that_hangs_is_cut_at_the_per_try_timeout_and_retried()
    {
        using var checkout = await Mesh.ClientOfAsync("checkout");
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://payments/slow");
        request.Headers.Add("x-demo-hang-once", Guid.NewGuid().ToString());
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var response = await checkout.SendAsync(request);
        var elapsed = started.Elapsed;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.InRange(elapsed, TimeSpan.FromMilliseconds(950), TimeSpan.FromSeconds(2.5));
    }
}
