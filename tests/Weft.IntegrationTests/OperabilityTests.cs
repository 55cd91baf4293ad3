using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Weft.IntegrationTests;

/// <summary>The admin port, `weft status`, `weft check`, and a clean stop.</summary>
public sealed class OperabilityTests(OperabilityTests.Fixture fixture) : IClassFixture<OperabilityTests.Fixture>
{
    private readonly MeshProcess _mesh = fixture.Mesh;

    /// <summary>A mesh of this class's own.</summary>
    public sealed class Fixture() : MeshFixture("payments");

    [Fact]
    public async Task The_admin_port_serves_ready_metrics_and_the_config_dump()
    {
        using var checkout = await _mesh.ClientOfAsync("checkout");
        for (var i = 0; i < 20; i++)
        {
            (await checkout.GetAsync("http://payments/")).EnsureSuccessStatusCode();
        }

        var payments = await _mesh.WorkloadAsync("payments-v1");
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{payments.AdminPort}") };
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/ready")).StatusCode);

        var metrics = await admin.GetStringAsync("/metrics");
        var served = metrics.Split('\n').Where(l => l.StartsWith("istio_requests_total{reporter=\"destination\",source_workload=\"checkout\"", StringComparison.Ordinal)
            && l.Contains("destination_workload=\"payments-v1\"", StringComparison.Ordinal)
            && l.Contains("response_code=\"200\"", StringComparison.Ordinal)
            && l.Contains("connection_security_policy=\"mutual_tls\"", StringComparison.Ordinal)).ToList();
        Assert.True(long.Parse(Assert.Single(served).Split(' ')[^1]) > 0);
        Assert.Contains("# TYPE istio_request_duration_milliseconds histogram", metrics, StringComparison.Ordinal);
        Assert.Contains("istio_request_duration_milliseconds_bucket{reporter=\"destination\",source_workload=\"checkout\"", metrics, StringComparison.Ordinal);
        Assert.Contains("le=\"+Inf\"", metrics, StringComparison.Ordinal);
        // checkout's sidecar keeps its connections to payments pooled: they show as open.
        var open = metrics.Split('\n').Single(l => l.StartsWith("weft_active_connections{direction=\"inbound\"}", StringComparison.Ordinal));
        Assert.True(long.Parse(open.Split(' ')[^1]) >= 1, open);
        Assert.Contains("process_resident_memory_bytes ", metrics, StringComparison.Ordinal);

        var dump = JsonDocument.Parse(await admin.GetStringAsync("/config_dump")).RootElement;
        Assert.Equal(payments.Proxy!.AckedVersion, dump.GetProperty("version").GetString());
        Assert.Equal("spiffe://cluster.local/ns/payments/sa/payments", dump.GetProperty("certificate").GetProperty("spiffeId").GetString());
        Assert.Equal("MTLS_MODE_STRICT", dump.GetProperty("config").GetProperty("inbound")[0].GetProperty("mtlsMode").GetString());
    }

    [Fact]
    public async Task The_access_log_has_a_json_line_per_request_with_the_reason_and_identities()
    {
        using var fraud = await _mesh.ClientOfAsync("fraud");
        using var denied = await fraud.GetAsync("http://payments/refund?id=7");
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);

        List<JsonElement> lines = [];
        await Eventually.TrueAsync(async () =>
        {
            var (exitCode, output) = await _mesh.RunCliAsync("logs", "payments-v1");
            var (exitCode2, output2) = await _mesh.RunCliAsync("logs", "payments-v2");
            lines = (output + "\n" + output2).Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            return exitCode == 0 && exitCode2 == 0 && lines.Exists(l => l.GetProperty("path").GetString() == "/refund");
        }, TimeSpan.FromSeconds(10), "the denial to reach the access log");

        // A first try slower than the route's 1 s per-try timeout (a cold sidecar on a loaded machine) is
        // retried, so the denial may be logged once per try; each logged try must say the same.
        var logged = lines.Where(l => l.GetProperty("path").GetString() == "/refund").ToList();
        Assert.NotEmpty(logged);
        var line = logged[^1];
        Assert.Equal(403, line.GetProperty("status").GetInt32());
        Assert.Equal("authz-denied", line.GetProperty("reason").GetString());
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/fraud", line.GetProperty("source").GetString());
        Assert.Equal("spiffe://cluster.local/ns/payments/sa/payments", line.GetProperty("destination").GetString());
        Assert.Equal("destination", line.GetProperty("reporter").GetString());
        Assert.Equal("GET", line.GetProperty("method").GetString());
    }

    [Theory]
    [InlineData("shop/checkout", "payments", 0, "allowed", HttpStatusCode.OK)]
    [InlineData("shop/fraud", "payments", 1, "authz-denied", HttpStatusCode.Forbidden)]
    [InlineData("shop/checkout", "inventory", 1, "no-route", HttpStatusCode.NotFound)]
    public async Task Explain_says_what_the_proxies_then_do(string from, string to, int exitCode, string outcome, HttpStatusCode actual)
    {
        var explained = await _mesh.RunCliAsync("explain", "--from", from, "--to", to, "--path", "/charge", "-o", "json");

        Assert.Equal(exitCode, explained.ExitCode);
        var trail = JsonDocument.Parse(explained.Output).RootElement;
        Assert.Equal(outcome, trail.GetProperty("outcome").GetString());
        using var client = await _mesh.ClientOfAsync(from.Split('/')[1]);
        using var response = await client.GetAsync($"http://{to}/charge");
        Assert.Equal(actual, response.StatusCode);
        if (outcome == "authz-denied")
        {
            Assert.Contains("payments/only-checkout", trail.GetProperty("reason").GetString(), StringComparison.Ordinal);
            Assert.Contains("payments/only-checkout", string.Join(",", response.Headers.GetValues("x-weft-reason")), StringComparison.Ordinal);
        }

        if (outcome == "allowed")
        {
            var split = trail.GetProperty("destinations").EnumerateArray().Select(d => (d.GetProperty("cluster").GetString(), d.GetProperty("percent").GetDouble())).ToList();
            Assert.Equal([("outbound|80|v1|payments.payments.svc.cluster.local", 90.0), ("outbound|80|v2|payments.payments.svc.cluster.local", 10.0)], split);
            Assert.All(trail.GetProperty("destinations").EnumerateArray().SelectMany(d => d.GetProperty("endpoints").EnumerateArray()),
                e => Assert.Equal("STRICT", e.GetProperty("mtlsMode").GetString()));
        }
    }

    [Fact]
    public async Task Explain_works_on_manifests_before_they_are_applied()
    {
        var (exitCode, output) = await _mesh.RunCliAsync("explain", "-f", _mesh.ConfigDirectory, "--from", "shop/fraud", "--to", "payments");

        Assert.Equal(1, exitCode);
        Assert.Contains("denied: ALLOW policies apply (payments/only-checkout)", output, StringComparison.Ordinal);
        Assert.Contains("mTLS STRICT (PeerAuthentication payments/default)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Proxy_config_shows_what_a_sidecar_runs()
    {
        var routes = await _mesh.RunCliAsync("proxy-config", "routes", "checkout");
        var listeners = await _mesh.RunCliAsync("proxy-config", "listeners", "payments-v1");
        var secret = await _mesh.RunCliAsync("proxy-config", "secret", "checkout");
        var endpoints = await _mesh.RunCliAsync("proxy-config", "endpoints", "checkout", "-o", "json");
        var bootstrap = await _mesh.RunCliAsync("proxy-config", "bootstrap", "checkout", "-o", "json");

        Assert.True(routes.ExitCode == 0, routes.Output);
        Assert.Contains("outbound|80|v1|payments.payments.svc.cluster.local 90, outbound|80|v2|payments.payments.svc.cluster.local 10", routes.Output, StringComparison.Ordinal);
        Assert.Matches(@"inbound 9080\s+\d+\s+→ app 127\.0\.0\.1:\d+ \(http\)\s+STRICT\s+payments/default", listeners.Output);
        Assert.Contains("spiffe://cluster.local/ns/shop/sa/checkout", secret.Output, StringComparison.Ordinal);
        var payments = await _mesh.WorkloadAsync("payments-v2");
        var v2 = JsonDocument.Parse(endpoints.Output).RootElement.EnumerateArray().Single(c => c.GetProperty("name").GetString() == "outbound|80|v2|payments.payments.svc.cluster.local");
        Assert.Equal($"127.0.0.1:{payments.InboundPorts[9080]}", Assert.Single(v2.GetProperty("endpoints").EnumerateArray()).GetProperty("address").GetString());
        // The sidecar process: `weft proxy` under JIT, with the settings weft up gives every sidecar.
        var runtime = JsonDocument.Parse(bootstrap.Output).RootElement;
        Assert.Equal(MeshProcess.WeftExecutable, runtime.GetProperty("executable").GetString());
        Assert.False(runtime.GetProperty("nativeAot").GetBoolean());
        Assert.Equal("workstation", runtime.GetProperty("gc").GetString());
        Assert.Equal(4 * 1024 * 1024, runtime.GetProperty("gen0BudgetBytes").GetInt64());
        Assert.True(runtime.GetProperty("eventLoopIo").GetBoolean());
    }

    [Fact]
    public async Task Stat_reports_the_traffic_each_workload_served()
    {
        using var checkout = await _mesh.ClientOfAsync("checkout");
        var stat = _mesh.RunCliAsync("stat", "--sample", "3s", "-o", "json");
        var sent = 0;
        while (!stat.IsCompleted)
        {
            (await checkout.GetAsync("http://payments/")).EnsureSuccessStatusCode();
            sent++;
        }

        var (exitCode, output) = await stat;
        Assert.Equal(0, exitCode);
        var rows = JsonDocument.Parse(output).RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!);
        var served = rows["payments-v1"].GetProperty("requests").GetInt64() + rows["payments-v2"].GetProperty("requests").GetInt64();
        // The window is most of the time the test was sending (the rest: the CLI starting, which a busy machine makes slow).
        Assert.InRange(served, sent / 4, sent);
        Assert.InRange(rows["payments-v1"].GetProperty("successRate").GetDouble(), 0.99, 1.0); // every request the test sent succeeded
        Assert.True(rows["payments-v1"].GetProperty("rps").GetDouble() > 0);
        Assert.True(rows["payments-v1"].GetProperty("p50Ms").GetDouble() > 0);
        Assert.True(rows["payments-v1"].GetProperty("requests").GetInt64() > rows["payments-v2"].GetProperty("requests").GetInt64()); // 90/10
    }

    [Fact]
    public async Task Tap_streams_each_request_with_the_callers_identity_and_top_ranks_paths()
    {
        using var checkout = await _mesh.ClientOfAsync("checkout");
        async Task<(int ExitCode, string Output)> WhileSendingAsync(Task<(int, string)> command)
        {
            while (!command.IsCompleted)
            {
                (await checkout.GetAsync("http://payments/busy")).EnsureSuccessStatusCode();
                (await checkout.GetAsync("http://payments/busy")).EnsureSuccessStatusCode();
                (await checkout.GetAsync("http://payments/quiet")).EnsureSuccessStatusCode();
            }

            return await command;
        }

        var tap = await WhileSendingAsync(_mesh.RunCliAsync("tap", "payments-v1", "--path", "/busy", "--duration", "3s", "-o", "json"));
        Assert.True(tap.ExitCode == 0, tap.Output);
        var entries = tap.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.NotEmpty(entries);
        Assert.All(entries, e => Assert.Equal("/busy", e.GetProperty("path").GetString()));
        var inbound = entries.First(e => e.GetProperty("reporter").GetString() == "destination");
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/checkout", inbound.GetProperty("sourceIdentity").GetString());
        Assert.Equal(200, inbound.GetProperty("status").GetInt32());

        var top = await WhileSendingAsync(_mesh.RunCliAsync("top", "payments-v1", "--duration", "3s", "-o", "json"));
        Assert.True(top.ExitCode == 0, top.Output);
        var rows = JsonDocument.Parse(top.Output).RootElement.EnumerateArray().Where(r => r.GetProperty("direction").GetString() == "in").ToList();
        Assert.Equal("/busy", rows[0].GetProperty("path").GetString()); // twice as many as /quiet
        Assert.Contains(rows, r => r.GetProperty("path").GetString() == "/quiet");
    }

    [Fact]
    public async Task Explain_denied_replays_the_latest_real_denials()
    {
        using var fraud = await _mesh.ClientOfAsync("fraud");
        for (var i = 0; i < 12; i++)
        {
            using var denied = await fraud.GetAsync("http://payments/charge");
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        }

        // The split sends most to v1: each replica's sidecar remembers what it denied.
        var (exitCode, output) = await _mesh.RunCliAsync("explain", "--denied", "payments-v1", "-o", "json");

        Assert.True(exitCode == 0, output);
        var denial = JsonDocument.Parse(output).RootElement.EnumerateArray().Last(d => d.GetProperty("request").GetProperty("path").GetString() == "/charge");
        Assert.Equal("shop/fraud", denial.GetProperty("request").GetProperty("from").GetString());
        Assert.Equal("/charge", denial.GetProperty("request").GetProperty("path").GetString());
        var explanation = denial.GetProperty("explanation");
        Assert.Equal("deny", explanation.GetProperty("verdict").GetString());
        Assert.Equal("payments/only-checkout", explanation.GetProperty("decidingPolicy").GetString());
    }

    [Fact]
    public async Task Edges_show_who_calls_whom_with_identities_over_mtls()
    {
        using var checkout = await _mesh.ClientOfAsync("checkout");
        for (var i = 0; i < 20; i++)
        {
            (await checkout.GetAsync("http://payments/")).EnsureSuccessStatusCode();
        }

        var (exitCode, output) = await _mesh.RunCliAsync("edges", "-o", "json");
        Assert.True(exitCode == 0, output);
        var edge = JsonDocument.Parse(output).RootElement.EnumerateArray()
            .Single(e => e.GetProperty("source").GetString() == "shop/checkout" && e.GetProperty("destination").GetString() == "payments/payments-v1");
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/checkout", edge.GetProperty("sourceIdentity").GetString());
        Assert.Equal("spiffe://cluster.local/ns/payments/sa/payments", edge.GetProperty("destinationIdentity").GetString());
        Assert.True(edge.GetProperty("mutualTls").GetBoolean());
        Assert.True(edge.GetProperty("requests").GetInt64() > 0);

        var table = await _mesh.RunCliAsync("edges");
        Assert.Contains("√ mTLS", table.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stat_answers_for_the_last_minute_at_once_per_workload_and_per_service()
    {
        using var checkout = await _mesh.ClientOfAsync("checkout");
        const int Sent = 40;
        for (var i = 0; i < Sent; i++)
        {
            (await checkout.GetAsync("http://payments/")).EnsureSuccessStatusCode();
        }

        var started = DateTime.UtcNow;
        var workloads = await _mesh.RunCliAsync("stat", "-o", "json");
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), "the last minute is kept by the sidecars: no waiting");
        Assert.True(workloads.ExitCode == 0, workloads.Output);
        var rows = JsonDocument.Parse(workloads.Output).RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!);
        Assert.True(rows["payments-v1"].GetProperty("requests").GetInt64() + rows["payments-v2"].GetProperty("requests").GetInt64() >= Sent);

        // By service, and only what checkout sent: the same requests, whichever version served them.
        var services = await _mesh.RunCliAsync("stat", "services", "--from", "checkout", "--to", "payments", "-o", "json");
        Assert.True(services.ExitCode == 0, services.Output);
        var payments = Assert.Single(JsonDocument.Parse(services.Output).RootElement.EnumerateArray());
        Assert.Equal("payments", payments.GetProperty("namespace").GetString());
        Assert.True(payments.GetProperty("requests").GetInt64() >= Sent);
        Assert.True(payments.GetProperty("rps").GetDouble() > 0);

        var table = await _mesh.RunCliAsync("stat");
        Assert.Contains("TCP_CONN", table.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Analyze_gates_ci_with_findings_that_name_file_and_line()
    {
        var clean = await _mesh.RunCliAsync("analyze", _mesh.ConfigDirectory);
        var findings = await _mesh.RunCliAsync("analyze", Path.Combine(AppContext.BaseDirectory, "Meshes", "security"), "-o", "json");

        Assert.True(clean.ExitCode == 0, clean.Output);
        Assert.Contains("no problems", clean.Output, StringComparison.Ordinal);
        Assert.Equal(1, findings.ExitCode);
        var unmeshed = JsonDocument.Parse(findings.Output).RootElement.EnumerateArray().Single(f => f.GetProperty("code").GetString() == "WEFT0204");
        Assert.EndsWith("workloads.yaml", unmeshed.GetProperty("file").GetString(), StringComparison.Ordinal);
        Assert.True(unmeshed.GetProperty("line").GetInt32() > 0);
    }

    [Fact]
    public async Task Status_prints_the_workload_table_as_json_for_scripts()
    {
        var (exitCode, output) = await _mesh.RunCliAsync("status", "-o", "json");

        Assert.Equal(0, exitCode);
        var workloads = JsonDocument.Parse(output).RootElement.GetProperty("workloads").EnumerateArray().ToList();
        Assert.Equal(["checkout", "fraud", "payments-v1", "payments-v2"], workloads.Select(w => w.GetProperty("workload").GetString()).Order());
        Assert.All(workloads, w =>
        {
            Assert.True(w.GetProperty("ready").GetBoolean());
            Assert.True(w.GetProperty("outboundPort").GetInt32() > 0);
            Assert.True(w.GetProperty("adminPort").GetInt32() > 0);
            Assert.StartsWith("spiffe://cluster.local/ns/", w.GetProperty("identity").GetString(), StringComparison.Ordinal);
        });
    }
}

/// <summary>
/// `weft check` on a healthy mesh and on one with a sidecar down (in restart back-off), then Ctrl-C stops everything
/// `weft up` started. One mesh, broken on purpose, so it is this class's alone.
/// </summary>
public sealed class CheckAndShutdownTests
{
    [Fact]
    public async Task Check_names_a_killed_sidecar_and_interrupting_weft_up_leaves_no_process_behind()
    {
        await using var mesh = await MeshProcess.StartAsync();
        var healthy = await mesh.RunCliAsync("check");
        Assert.True(healthy.ExitCode == 0, healthy.Output);
        Assert.Contains("payments/payments-v1: meshed, ready", healthy.Output, StringComparison.Ordinal);
        Assert.Contains("valid until", healthy.Output, StringComparison.Ordinal);

        // A killed sidecar is restarted at once; killed again, it waits out a 10 s back-off: down long enough to look at.
        var fraud = await mesh.WorkloadAsync("fraud");
        Process.GetProcessById(fraud.SidecarPid!.Value).Kill();
        await Eventually.TrueAsync(async () => (await mesh.WorkloadAsync("fraud")) is { SidecarRunning: true } w && w.SidecarPid != fraud.SidecarPid,
            TimeSpan.FromSeconds(30), "the killed sidecar to be restarted");
        Process.GetProcessById((await mesh.WorkloadAsync("fraud")).SidecarPid!.Value).Kill();
        await Eventually.TrueAsync(async () => (await mesh.WorkloadAsync("fraud")) is { Ready: false, SidecarRunning: false }, TimeSpan.FromSeconds(10), "the killed sidecar to be noticed");

        var broken = await mesh.RunCliAsync("check");
        Assert.Equal(1, broken.ExitCode);
        Assert.Contains("✘ shop/fraud: sidecar is not running", broken.Output, StringComparison.Ordinal);
        Assert.Contains("✔ shop/checkout", broken.Output, StringComparison.Ordinal);
        var children = (await mesh.StatusAsync()).Workloads.SelectMany(w => new[] { w.AppPid, w.SidecarPid }).OfType<int>().ToList();
        Assert.Equal(7, children.Count(pid => Directory.Exists($"/proc/{pid}")));

        Assert.Equal(0, await mesh.InterruptAsync());

        await Eventually.TrueAsync(() => Task.FromResult(children.TrueForAll(pid => !Directory.Exists($"/proc/{pid}"))), TimeSpan.FromSeconds(10), "every child to exit");
        Assert.False(File.Exists(Path.Combine(mesh.StateDirectory, "mesh.json")));
    }
}
