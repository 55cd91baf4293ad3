using System.Net;
using System.Text.Json;
using Weft.Testing;

namespace Weft.IntegrationTests;

/// <summary>
/// `weft up --proxy EXECUTABLE`: every sidecar runs from another executable that takes `weft proxy`'s
/// arguments — `weft-proxy`, the sidecar alone, which users publish with NativeAOT for a lighter
/// sidecar (its JIT build from the solution here: the same code, without the minutes of AOT compile).
/// </summary>
public sealed class ProxyExecutableTests(ProxyExecutableTests.Fixture fixture) : IClassFixture<ProxyExecutableTests.Fixture>
{
    private static readonly string WeftProxy = Path.Combine(AppContext.BaseDirectory, "weft-proxy");

    /// <summary>The payments example with every sidecar from weft-proxy.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public MeshProcess Mesh { get; private set; } = null!;

        public async Task InitializeAsync() => Mesh = await MeshProcess.StartAsync("payments", "--proxy", WeftProxy);

        public async Task DisposeAsync() => await Mesh.DisposeAsync();
    }

    [Fact]
    public async Task Every_sidecar_runs_from_the_given_executable_with_the_sidecar_runtime_settings()
    {
        foreach (var workload in (await fixture.Mesh.StatusAsync()).Workloads)
        {
            var pid = workload.SidecarPid ?? throw new InvalidOperationException($"{workload.Workload} has no sidecar");
            Assert.Equal(WeftProxy, new FileInfo($"/proc/{pid}/exe").LinkTarget);
            // The settings measured for sidecars in bench/README.md: Workstation GC, a 4 MiB gen0, event-loop I/O.
            var environment = (await File.ReadAllTextAsync($"/proc/{pid}/environ")).Split('\0');
            Assert.Contains("DOTNET_gcServer=0", environment);
            Assert.Contains("DOTNET_GCgen0size=400000", environment);
            Assert.Contains("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1", environment);
        }
    }

    [Fact]
    public async Task Proxy_config_bootstrap_says_how_the_sidecar_runs()
    {
        var (exitCode, output) = await fixture.Mesh.RunCliAsync("proxy-config", "bootstrap", "checkout");

        Assert.True(exitCode == 0, output);
        Assert.Contains($"executable      {WeftProxy}", output, StringComparison.Ordinal);
        Assert.Contains("build           JIT (.NET ", output, StringComparison.Ordinal);
        Assert.Contains("gc              workstation, gen0 budget 4 MiB (DOTNET_GCgen0size)", output, StringComparison.Ordinal);
        Assert.Contains("event-loop I/O  on", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_mesh_behaves_as_with_weft_proxy_mtls_split_and_policy()
    {
        using var checkout = await fixture.Mesh.ClientOfAsync("checkout");
        var v1 = 0;
        for (var i = 0; i < 40; i++)
        {
            var body = JsonDocument.Parse(await checkout.GetStringAsync("http://payments/")).RootElement;
            v1 += body.GetProperty("version").GetString() == "v1" ? 1 : 0;
            // The app sees the caller's identity, which only a verified mTLS peer gets.
            Assert.Equal("URI=spiffe://cluster.local/ns/shop/sa/checkout", body.GetProperty("caller").GetString());
        }

        Assert.InRange(v1, 28, 40); // the 90/10 split: at least 70 % of 40 to v1

        using var fraud = await fixture.Mesh.ClientOfAsync("fraud");
        using var denied = await fraud.GetAsync("http://payments/charge");
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Contains("payments/only-checkout", string.Join(",", denied.Headers.GetValues("x-weft-reason")), StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_proxy_file_without_execute_permission_is_refused()
    {
        var state = Directory.CreateTempSubdirectory("weft-it-proxy-").FullName;
        var plain = Path.Combine(state, "weft-proxy");
        await File.WriteAllTextAsync(plain, "not a program");
        File.SetUnixFileMode(plain, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            var (exitCode, _, stderr) = await WeftCli.RunAsync("up", Repository.Example("payments"), "--state-dir", state, "--proxy", plain);

            Assert.Equal(2, exitCode);
            Assert.Contains($"weft up --proxy: {plain}: not executable (chmod +x)", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    [Theory]
    [InlineData("/nonexistent/weft-proxy", "weft up --proxy: /nonexistent/weft-proxy: no such file")]
    [InlineData("/tmp", "weft up --proxy: /tmp: is a directory, not an executable")]
    public async Task A_proxy_that_cannot_run_is_refused_before_anything_starts(string proxy, string error)
    {
        var state = Directory.CreateTempSubdirectory("weft-it-proxy-").FullName;
        try
        {
            var (exitCode, stdout, stderr) = await WeftCli.RunAsync("up", Repository.Example("payments"), "--state-dir", state, "--proxy", proxy);

            Assert.Equal(2, exitCode);
            Assert.Contains(error, stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("control plane", stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    [Fact]
    public async Task An_unknown_option_is_refused_with_the_usage()
    {
        var (exitCode, _, stderr) = await WeftCli.RunAsync("up", Repository.Example("payments"), "--proxi", WeftProxy);

        Assert.Equal(2, exitCode);
        Assert.Contains("weft up: unknown option --proxi", stderr, StringComparison.Ordinal);
        Assert.Contains("[--proxy EXECUTABLE]", stderr, StringComparison.Ordinal);
    }
}
