using System.Net;
using System.Text.Json;

namespace Weft.IntegrationTests;

/// <summary>Gateway API HTTPRoutes attached to a Service, through real sidecars.</summary>
public sealed class GatewayApiTests(GatewayApiTests.Fixture fixture) : IClassFixture<GatewayApiTests.Fixture>
{
    private readonly MeshProcess _mesh = fixture.Mesh;

    public sealed class Fixture() : MeshFixture("gateway-api");

    private async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> SendAsync(string url, params (string, string)[] headers)
    {
        using var checkout = await _mesh.ClientOfAsync("checkout");
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        var response = await checkout.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.StartsWith('{') ? JsonDocument.Parse(text).RootElement.Clone() : default, response);
    }

    [Fact]
    public async Task Relative_backend_weights_split_3_to_1()
    {
        var v2 = 0;
        const int total = 800;
        for (var i = 0; i < total; i++)
        {
            v2 += (await SendAsync("http://payments/")).Body.GetProperty("version").GetString() == "v2" ? 1 : 0;
        }

        Assert.InRange(100.0 * v2 / total, 20, 30); // 25% ± 5 points
    }

    [Fact]
    public async Task A_header_match_routes_to_its_backend()
    {
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("v2", (await SendAsync("http://payments/", ("x-canary", "true"))).Body.GetProperty("version").GetString());
        }
    }

    [Theory]
    [InlineData("/api", "/v2")]
    [InlineData("/api/orders", "/v2/orders")]
    public async Task A_path_prefix_matches_whole_segments_and_is_rewritten(string path, string rewritten)
    {
        var (_, body, _) = await SendAsync($"http://payments{path}");

        Assert.Equal("v1", body.GetProperty("version").GetString());
        Assert.Equal(rewritten, body.GetProperty("path").GetString());
        Assert.Equal("api", body.GetProperty("headers").GetProperty("x-from-route").GetString());
    }

    [Fact]
    public async Task A_prefix_does_not_match_a_longer_segment()
    {
        var (_, body, _) = await SendAsync("http://payments/apikeys");
        Assert.Equal("/apikeys", body.GetProperty("path").GetString()); // fell through to the weighted rule, not rewritten
    }

    [Fact]
    public async Task The_request_timeout_cuts_a_slow_backend()
    {
        var (status, _, response) = await SendAsync("http://payments/slow", ("x-demo-hang", "1"));

        Assert.Equal(HttpStatusCode.GatewayTimeout, status);
        Assert.Equal("upstream-timeout", Assert.Single(response.Headers.GetValues("x-weft-reason")));
    }
}
