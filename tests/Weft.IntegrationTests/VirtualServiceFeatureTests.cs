using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Weft.IntegrationTests;

/// <summary>VirtualService http[] features through real sidecars: redirect, fault, rewrite, headers, matches, mirror.</summary>
public sealed class VirtualServiceFeatureTests(VirtualServiceFeatureTests.Fixture fixture) : IClassFixture<VirtualServiceFeatureTests.Fixture>
{
    private readonly MeshProcess _mesh = fixture.Mesh;

    public sealed class Fixture() : MeshFixture("vs-features");

    private async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> SendAsync(string url, string from = "client", params (string Name, string Value)[] headers)
    {
        var handler = new SocketsHttpHandler { Proxy = new WebProxy($"http://127.0.0.1:{(await _mesh.WorkloadAsync(from)).OutboundPort}"), UseProxy = true, AllowAutoRedirect = false };
        using var client = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var body = text.StartsWith('{') ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return (response.StatusCode, body, response);
    }

    private static string Version(JsonElement body) => body.GetProperty("version").GetString()!;

    [Fact]
    public async Task A_redirect_is_answered_by_the_client_sidecar()
    {
        var (status, _, response) = await SendAsync("http://web/old/page?x=1");

        Assert.Equal(HttpStatusCode.Found, status);
        Assert.Equal("http://web/new?x=1", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Fault_abort_hits_its_percentage_of_requests()
    {
        var aborted = 0;
        const int total = 400;
        for (var i = 0; i < total; i++)
        {
            var (status, _, response) = await SendAsync("http://web/", headers: ("x-fault", "abort-half"));
            if (status == HttpStatusCode.ServiceUnavailable)
            {
                Assert.Equal("fault-abort", Assert.Single(response.Headers.GetValues("x-weft-reason")));
                aborted++;
            }
        }

        Assert.InRange(aborted, 160, 240); // 50% ± 10 points
    }

    [Fact]
    public async Task Fault_delay_holds_the_request_before_forwarding()
    {
        var started = Stopwatch.StartNew();
        var (status, _, _) = await SendAsync("http://web/", headers: ("x-fault", "delay"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(290), $"took {started.Elapsed}");
    }

    [Fact]
    public async Task Rewrite_replaces_the_matched_prefix_and_the_authority()
    {
        var (_, body, _) = await SendAsync("http://web/api/orders?id=3");

        Assert.Equal("/v2/orders", body.GetProperty("path").GetString());
        Assert.Equal("?id=3", body.GetProperty("query").GetString());
        Assert.Equal("web-internal", body.GetProperty("host").GetString());
    }

    [Fact]
    public async Task Header_operations_apply_to_the_request_and_the_response()
    {
        var (_, body, response) = await SendAsync("http://web/", headers: [("x-headers", "yes"), ("x-remove", "gone"), ("x-set", "original"), ("x-add", "first")]);

        var seen = body.GetProperty("headers");
        Assert.Equal("s", seen.GetProperty("x-set").GetString());
        Assert.Equal("first, a", seen.GetProperty("x-add").GetString());
        Assert.False(seen.TryGetProperty("x-remove", out _));
        Assert.Equal("r", Assert.Single(response.Headers.GetValues("x-resp")));
    }

    [Fact]
    public async Task Each_destination_applies_its_own_header_operations_after_the_routes()
    {
        var seenVersions = new HashSet<string>();
        for (var i = 0; i < 20; i++)
        {
            var (_, body, response) = await SendAsync("http://web/", headers: ("x-headers", "per-destination"));
            var version = Version(body);
            seenVersions.Add(version);
            var seen = body.GetProperty("headers");
            Assert.Equal(version, seen.GetProperty("x-destination").GetString());
            Assert.Equal(version == "v1" ? "overridden-by-v1" : "route", seen.GetProperty("x-route").GetString());
            Assert.Equal(version, Assert.Single(response.Headers.GetValues("x-served-by")));
        }

        Assert.Equal(["v1", "v2"], seenVersions.Order());
    }

    [Theory]
    [InlineData("http://web/?version=2", "v2")]
    [InlineData("http://web/?version=1", "v1")]
    [InlineData("http://web/without", "v2")]
    [InlineData("http://web:8080/", "v2")]
    [InlineData("http://web:80/", "v1")]
    public async Task Query_without_headers_and_port_matches_route_as_istio_does(string url, string version)
    {
        var (_, body, _) = await SendAsync(url);
        Assert.Equal(version, Version(body));
    }

    [Fact]
    public async Task Without_headers_skips_the_rule_when_the_header_is_present()
    {
        var (_, body, _) = await SendAsync("http://web/without", headers: ("x-keep-v1", "1"));
        Assert.Equal("v1", Version(body));
    }

    [Theory]
    [InlineData("client-b", "v2")]
    [InlineData("client", "v1")]
    public async Task Source_labels_route_by_the_calling_workload(string from, string version)
    {
        var (_, body, _) = await SendAsync("http://web/source", from);
        Assert.Equal(version, Version(body));
    }

    [Fact]
    public async Task Mirrored_requests_reach_the_mirror_and_the_client_sees_only_the_primary()
    {
        var v2 = await _mesh.WorkloadAsync("web-v2");
        using var direct = new HttpClient();
        async Task<long> Shadowed() => JsonDocument.Parse(await direct.GetStringAsync($"http://127.0.0.1:{v2.AppPorts[9080]}/demo/stats")).RootElement.GetProperty("shadowRequests").GetInt64();
        var before = await Shadowed();

        for (var i = 0; i < 20; i++)
        {
            var (status, body, _) = await SendAsync("http://web/mirror/x");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("v1", Version(body));
        }

        await Eventually.TrueAsync(async () => await Shadowed() - before >= 20, TimeSpan.FromSeconds(10), "every request to be mirrored to v2");
    }
}
