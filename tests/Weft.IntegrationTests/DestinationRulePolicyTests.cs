using System.Net;
using System.Text.Json;

namespace Weft.IntegrationTests;

/// <summary>DestinationRule traffic policies through real sidecars, over three replicas of one service.</summary>
public sealed class DestinationRulePolicyTests(DestinationRulePolicyTests.Fixture fixture) : IClassFixture<DestinationRulePolicyTests.Fixture>
{
    private static readonly string[] Replicas = ["web", "web-1", "web-2"];
    private readonly MeshProcess _mesh = fixture.Mesh;

    public sealed class Fixture() : MeshFixture("dr-policies");

    private async Task<(HttpStatusCode Status, string? Instance, HttpResponseMessage Response)> SendAsync(HttpClient client, string policy, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://web/");
        request.Headers.Add("x-policy", policy);
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var instance = text.StartsWith('{') ? JsonDocument.Parse(text).RootElement.GetProperty("instance").GetString() : null;
        return (response.StatusCode, instance, response);
    }

    private async Task SetBehaviorAsync(string replica, string query)
    {
        var status = await _mesh.WorkloadAsync(replica);
        using var direct = new HttpClient();
        (await direct.PutAsync($"http://127.0.0.1:{status.AppPorts[9080]}/demo/behavior?{query}", null)).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Round_robin_takes_turns_across_the_replicas()
    {
        using var client = await _mesh.ClientOfAsync("client");
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < 30; i++)
        {
            var (_, instance, _) = await SendAsync(client, "round-robin");
            counts[instance!] = counts.GetValueOrDefault(instance!) + 1;
        }

        Assert.Equal(Replicas, counts.Keys.Order());
        Assert.All(counts.Values, c => Assert.InRange(c, 9, 11));
    }

    [Fact]
    public async Task Random_spreads_requests_evenly_without_taking_turns()
    {
        using var client = await _mesh.ClientOfAsync("client");
        var sequence = new List<string>();
        for (var i = 0; i < 300; i++)
        {
            sequence.Add((await SendAsync(client, "random")).Instance!);
        }

        var counts = sequence.CountBy(i => i).ToDictionary();
        Assert.Equal(Replicas, counts.Keys.Order());
        Assert.All(counts.Values, c => Assert.InRange(c, 65, 135)); // 100 expected; ±35 is over 4 standard deviations

        // Unlike round robin, the same replica answers twice in a row about a third of the time.
        var repeats = sequence.Zip(sequence.Skip(1)).Count(p => p.First == p.Second);
        Assert.InRange(repeats, 60, 140);
    }

    [Fact]
    public async Task Least_request_steers_away_from_a_slow_replica()
    {
        // Peak-EWMA latency: once web-2 answers in a second and the others in milliseconds, two random
        // choices nearly always contain a faster replica. (A second, not less, so that a slow TLS
        // handshake to a fast replica on a busy machine cannot look as slow.)
        using var client = await _mesh.ClientOfAsync("client");
        await SetBehaviorAsync("web-2", "delay=1000");
        try
        {
            var counts = new Dictionary<string, int>();
            for (var i = 0; i < 40; i++)
            {
                var (status, instance, _) = await SendAsync(client, "least-request");
                Assert.Equal(HttpStatusCode.OK, status);
                counts[instance!] = counts.GetValueOrDefault(instance!) + 1;
            }

            Assert.InRange(counts.GetValueOrDefault("web-2"), 0, 5); // round robin would send it 13
            // Both fast replicas take part: each wins every pair it forms with the slow one (a third of
            // the picks, ~13). Between the two fast ones the lower estimate wins, so their split need
            // not be even: one slow first handshake on a busy machine raises an estimate for seconds.
            Assert.True(counts.GetValueOrDefault("web") >= 5 && counts.GetValueOrDefault("web-1") >= 5, string.Join(", ", counts));
        }
        finally
        {
            await SetBehaviorAsync("web-2", "delay=0");
        }
    }

    [Fact]
    public async Task Consistent_hash_on_a_header_keeps_each_user_on_one_replica()
    {
        using var client = await _mesh.ClientOfAsync("client");
        var chosen = new HashSet<string>();
        for (var user = 0; user < 12; user++)
        {
            var instances = new HashSet<string>();
            for (var i = 0; i < 5; i++)
            {
                instances.Add((await SendAsync(client, "by-user", ("x-user", $"user-{user}"))).Instance!);
            }

            chosen.Add(Assert.Single(instances));
        }

        Assert.True(chosen.Count >= 2, "twelve users should not all hash to one replica");
    }

    [Fact]
    public async Task Consistent_hash_on_a_cookie_sets_the_cookie_and_sticks_to_it()
    {
        using var client = await _mesh.ClientOfAsync("client");
        var (_, first, response) = await SendAsync(client, "by-cookie");
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("session=", setCookie, StringComparison.Ordinal);
        var cookie = setCookie.Split(';')[0];

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(first, (await SendAsync(client, "by-cookie", ("Cookie", cookie))).Instance);
        }
    }

    [Fact]
    public async Task A_failing_replica_is_ejected_and_returns_and_all_ejected_is_no_healthy_upstream()
    {
        using var client = await _mesh.ClientOfAsync("client");
        await SetBehaviorAsync("web-1", "fail=1&status=503");
        try
        {
            // Its first two failures eject it; then nothing more reaches it.
            for (var i = 0; i < 12; i++)
            {
                await SendAsync(client, "ejecting");
            }

            for (var i = 0; i < 20; i++)
            {
                var (status, instance, _) = await SendAsync(client, "ejecting");
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.NotEqual("web-1", instance);
            }

            using (var admin = new HttpClient())
            {
                var metrics = await admin.GetStringAsync($"http://127.0.0.1:{(await _mesh.WorkloadAsync("client")).AdminPort}/metrics");
                Assert.Contains("weft_outlier_ejected_endpoints{cluster_name=\"outbound|80|ejecting|web.shop.svc.cluster.local\"} 1", metrics, StringComparison.Ordinal);
            }

            await SetBehaviorAsync("web-1", "fail=0");
            await Eventually.TrueAsync(async () => (await SendAsync(client, "ejecting")).Instance == "web-1", TimeSpan.FromSeconds(15), "web-1 to return after its ejection time");

            foreach (var replica in Replicas)
            {
                await SetBehaviorAsync(replica, "fail=1&status=503");
            }

            await Eventually.TrueAsync(async () =>
            {
                var (status, _, response) = await SendAsync(client, "ejecting");
                return status == HttpStatusCode.ServiceUnavailable && response.Headers.TryGetValues("x-weft-reason", out var reason) && reason.Single() == "no-healthy-upstream";
            }, TimeSpan.FromSeconds(15), "every replica to be ejected");
        }
        finally
        {
            foreach (var replica in Replicas)
            {
                await SetBehaviorAsync(replica, "fail=0");
            }
        }
    }

    [Fact]
    public async Task Requests_over_the_connection_pool_limit_overflow_at_once()
    {
        // maxConnections 1 + http1MaxPendingRequests 1: of six requests that hang, two are admitted
        // (and wait) and four are refused at once.
        using var client = await _mesh.ClientOfAsync("client");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "http://web/");
            request.Headers.Add("x-policy", "limited");
            request.Headers.Add("x-demo-hang", "1");
            try
            {
                using var response = await client.SendAsync(request, stop.Token);
                return response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.GetValues("x-weft-reason").Single() == "overflow" ? "overflow" : response.StatusCode.ToString();
            }
            catch (OperationCanceledException)
            {
                return "admitted";
            }
        }));

        Assert.Equal(4, outcomes.Count(o => o == "overflow"));
        Assert.Equal(2, outcomes.Count(o => o == "admitted"));
        await Eventually.TrueAsync(async () => (await SendAsync(client, "limited")).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "the pool to free up");
    }
}
