using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Weft.IntegrationTests;

/// <summary>
/// Every retryOn class, Istio's default policy, attempts: 0 and the route timeout, through real
/// sidecars. The demo app fails exactly the attempts it is told to (the sidecar numbers them in
/// x-weft-attempt), so each case is deterministic.
/// </summary>
public sealed class RetryPolicyTests(RetryPolicyTests.Fixture fixture) : IClassFixture<RetryPolicyTests.Fixture>
{
    private readonly MeshProcess _mesh = fixture.Mesh;

    public sealed class Fixture() : MeshFixture("retries");

    [Theory]
    // policy, how the app fails its first attempts, status it fails with, expected status, expected final attempt
    [InlineData("5xx", "x-demo-fail-attempts", 500, 200, 3)]
    [InlineData("gateway-error", "x-demo-fail-attempts", 502, 200, 3)]
    [InlineData("gateway-error", "x-demo-fail-attempts", 500, 500, 1)]
    [InlineData("retriable-4xx", "x-demo-fail-attempts", 409, 200, 3)]
    [InlineData("retriable-4xx", "x-demo-fail-attempts", 404, 404, 1)]
    [InlineData("status-codes", "x-demo-fail-attempts", 418, 200, 3)]
    // The app dropping the request is answered 503 upstream-reset by its own sidecar: retried under 5xx,
    // not under reset (the client sidecar saw a response, not a reset — as with Envoy).
    [InlineData("5xx", "x-demo-reset-attempts", 0, 200, 3)]
    [InlineData("reset", "x-demo-reset-attempts", 0, 503, 1)]
    [InlineData("connect-failure-only", "x-demo-fail-attempts", 503, 503, 1)]
    [InlineData("default", "x-demo-fail-attempts", 503, 503, 1)]
    [InlineData("disabled", "x-demo-fail-attempts", 503, 503, 1)]
    public async Task Each_retry_condition_retries_exactly_what_it_names(string policy, string failHeader, int failStatus, int expectedStatus, int finalAttempt)
    {
        using var client = await _mesh.ClientOfAsync("client");
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://flaky/");
        request.Headers.Add("x-policy", policy);
        request.Headers.Add(failHeader, "2");
        request.Headers.Add("x-demo-status", failStatus.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(expectedStatus, (int)response.StatusCode);
        if (expectedStatus == 200)
        {
            Assert.Equal(finalAttempt, JsonDocument.Parse(body).RootElement.GetProperty("attempt").GetInt32());
        }
        else if (failHeader == "x-demo-reset-attempts")
        {
            Assert.Equal("upstream-reset", Assert.Single(response.Headers.GetValues("x-weft-reason")));
        }
        else
        {
            Assert.Contains($"failing attempt {finalAttempt} as asked", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Attempts_beyond_the_limit_return_the_last_failure()
    {
        using var client = await _mesh.ClientOfAsync("client");
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://flaky/");
        request.Headers.Add("x-policy", "5xx");
        request.Headers.Add("x-demo-fail-attempts", "9");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("failing attempt 4 as asked", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_body_is_replayed_on_retry()
    {
        using var client = await _mesh.ClientOfAsync("client");
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://flaky/") { Content = new StringContent("payload") };
        request.Headers.Add("x-policy", "5xx");
        request.Headers.Add("x-demo-fail-attempts", "1");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("attempt").GetInt32());
    }

    [Fact]
    public async Task A_body_too_large_to_replay_is_never_retried()
    {
        using var client = await _mesh.ClientOfAsync("client");
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://flaky/") { Content = new ByteArrayContent(new byte[200 * 1024]) };
        request.Headers.Add("x-policy", "5xx");
        request.Headers.Add("x-demo-fail-attempts", "1");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("failing attempt 1 as asked", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_route_timeout_answers_504_upstream_timeout()
    {
        using var client = await _mesh.ClientOfAsync("client");
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://flaky/");
        request.Headers.Add("x-policy", "timeout");
        request.Headers.Add("x-demo-hang", "1");
        var started = Stopwatch.StartNew();

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("upstream-timeout", Assert.Single(response.Headers.GetValues("x-weft-reason")));
        Assert.InRange(started.Elapsed, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(3));
    }
}
