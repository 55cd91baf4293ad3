using System.Text.Json;

namespace Weft.IntegrationTests;

/// <summary>`weft bench --from`: load sent as a meshed workload sends it, through its sidecar.</summary>
public sealed class BenchThroughSidecarTests(PaymentsMeshFixture fixture) : IClassFixture<PaymentsMeshFixture>
{
    private MeshProcess Mesh => fixture.Mesh;

    [Theory]
    [InlineData("1.1")]
    [InlineData("2")]
    public async Task Sends_through_the_sidecar_of_the_named_workload(string http)
    {
        // http://payments/ resolves nowhere but in checkout's sidecar, and payments takes only mTLS
        // from checkout's identity: every success went through that sidecar.
        var (exitCode, stdout, stderr) = await WeftCli.RunAsync("bench", "http://payments/", "--from", "checkout", "--http", http,
            "--rate", "50", "--duration", "2s", "--connections", "2", "-o", "json", "--state-dir", Mesh.StateDirectory);

        Assert.True(exitCode == 0, $"exit {exitCode}: {stderr}{stdout}");
        var result = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("shop/checkout", result.GetProperty("from").GetString());
        Assert.Equal((await Mesh.WorkloadAsync("checkout")).OutboundPort, result.GetProperty("sidecarPort").GetInt32());
        Assert.Equal(100, result.GetProperty("sent").GetInt64());
        // The example's 1 s per-try timeout can still answer a 504 on a machine busy with the rest of
        // the suite; what matters here is that the requests went through and every one is counted.
        Assert.InRange(result.GetProperty("ok").GetInt64(), 90, 100);
        Assert.Equal(100, result.GetProperty("ok").GetInt64() + result.GetProperty("errors").GetInt64());
    }

    [Fact]
    public async Task A_workload_that_does_not_exist_is_named_in_the_error()
    {
        var (exitCode, _, stderr) = await WeftCli.RunAsync("bench", "http://payments/", "--from", "no-such-app", "--state-dir", Mesh.StateDirectory);

        Assert.Equal(2, exitCode);
        Assert.Contains("--from no-such-app: no workload no-such-app", stderr, StringComparison.Ordinal);
    }
}
