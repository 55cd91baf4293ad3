using System.Net;
using System.Text.Json;

namespace Weft.IntegrationTests;

/// <summary>PeerAuthentication precedence (mesh, namespace, workload, port) and DENY/ALLOW/AUDIT interplay through real sidecars.</summary>
public sealed class SecurityTests(SecurityTests.Fixture fixture) : IClassFixture<SecurityTests.Fixture>
{
    private readonly MeshProcess _mesh = fixture.Mesh;

    public sealed class Fixture() : MeshFixture("security");

    private async Task<HttpResponseMessage> PlaintextAsync(string workload, int workloadPort, string path = "/")
    {
        var status = await _mesh.WorkloadAsync(workload);
        using var plain = new HttpClient();
        return await plain.GetAsync($"http://127.0.0.1:{status.InboundPorts[workloadPort]}{path}");
    }

    [Fact]
    public async Task Mesh_wide_strict_refuses_plaintext()
    {
        using var response = await PlaintextAsync("api", 9080);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("mtls-required", Assert.Single(response.Headers.GetValues("x-weft-reason")));
    }

    [Fact]
    public async Task Analyze_live_names_a_strict_workload_that_refuses_plaintext_callers()
    {
        using (var refused = await PlaintextAsync("api", 9080))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        var (exitCode, output) = await _mesh.RunCliAsync("analyze", "--live", "-o", "json");

        Assert.Equal(1, exitCode);
        var findings = JsonDocument.Parse(output).RootElement.EnumerateArray().ToList();
        var strict = findings.Single(f => f.GetProperty("code").GetString() == "WEFT0303");
        Assert.Equal("Workload secure/api", strict.GetProperty("resource").GetString());
        Assert.EndsWith("workloads.yaml", strict.GetProperty("file").GetString(), StringComparison.Ordinal);
        Assert.Contains(findings, f => f.GetProperty("code").GetString() == "WEFT0208"); // and statically: STRICT while plain-db has no sidecar
    }

    [Fact]
    public async Task A_port_level_permissive_override_accepts_plaintext_on_that_port_only()
    {
        using var metrics = await PlaintextAsync("api", 9081);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Null(JsonDocument.Parse(await metrics.Content.ReadAsStringAsync()).RootElement.GetProperty("caller").GetString());
    }

    [Fact]
    public async Task A_namespace_policy_overrides_the_mesh_wide_one()
    {
        using var response = await PlaintextAsync("open-api", 9080);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_permissive_server_takes_mtls_from_meshed_clients()
    {
        using var client = await _mesh.ClientOfAsync("client");
        var body = JsonDocument.Parse(await client.GetStringAsync("http://open-api.open/")).RootElement;
        Assert.Equal("URI=spiffe://cluster.local/ns/shop/sa/client", body.GetProperty("caller").GetString());
    }

    [Fact]
    public async Task A_meshed_client_reaches_an_unmeshed_server_in_plaintext()
    {
        using var client = await _mesh.ClientOfAsync("client");
        var body = JsonDocument.Parse(await client.GetStringAsync("http://plain-db.open/")).RootElement;
        Assert.Equal("plain-db", body.GetProperty("service").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("caller").ValueKind);
    }

    [Theory]
    [InlineData("/orders", HttpStatusCode.OK, null)]
    [InlineData("/admin/users", HttpStatusCode.Forbidden, "secure/deny-admin")] // DENY wins over the matching ALLOW
    public async Task Deny_is_evaluated_before_allow_and_audit_never_blocks(string path, HttpStatusCode expected, string? policy)
    {
        using var client = await _mesh.ClientOfAsync("client");
        using var response = await client.GetAsync($"http://api.secure{path}");

        Assert.Equal(expected, response.StatusCode);
        if (policy is not null)
        {
            Assert.Equal($"authz-denied; policy={policy}", Assert.Single(response.Headers.GetValues("x-weft-reason")));
        }

        var admin = (await _mesh.WorkloadAsync("api")).AdminPort;
        using var http = new HttpClient();
        var metrics = (await http.GetStringAsync($"http://127.0.0.1:{admin}/metrics")).Split('\n');
        Assert.Contains(metrics, l => l.StartsWith("weft_authz_audit_total{policy=\"secure/audit-everything\"} ", StringComparison.Ordinal));
        if (policy is not null)
        {
            Assert.Contains(metrics, l => l.StartsWith($"weft_authz_denied_total{{policy=\"{policy}\"}} ", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("client", "api.secure", "/orders")] // allowed: from shop
    [InlineData("client", "api.secure", "/admin/users")] // DENY before ALLOW
    [InlineData("open-api", "api.secure", "/orders")] // no ALLOW rule matches a caller from open
    [InlineData("open-api", "api.secure:81", "/stats")] // … except on the metrics port
    [InlineData("client", "open-api.open", "/")] // no policy: allowed
    public async Task Explain_agrees_with_what_the_proxies_did(string from, string to, string path)
    {
        using var client = await _mesh.ClientOfAsync(from);
        using var response = await client.GetAsync($"http://{to}{path}");
        var (_, output) = await _mesh.RunCliAsync("explain", "--from", (await _mesh.WorkloadAsync(from)).Namespace + "/" + from, "--to", to, "--path", path, "-o", "json");
        var explanation = JsonDocument.Parse(output).RootElement;

        var denied = response.StatusCode == HttpStatusCode.Forbidden;
        Assert.Equal(denied ? "deny" : "allow", explanation.GetProperty("verdict").GetString());
        if (denied)
        {
            var reason = Assert.Single(response.Headers.GetValues("x-weft-reason"));
            Assert.Equal($"authz-denied; policy={explanation.GetProperty("decidingPolicy").GetString()}", reason);
        }
        else
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Check_names_the_workloads_without_a_sidecar()
    {
        var (exitCode, output) = await _mesh.RunCliAsync("check");

        Assert.Equal(1, exitCode);
        Assert.Contains("✘ open/plain-db: not meshed", output, StringComparison.Ordinal);
        Assert.Contains("✔ secure/api", output, StringComparison.Ordinal);
    }
}
