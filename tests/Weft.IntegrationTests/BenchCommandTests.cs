using System.Text.Json;

namespace Weft.IntegrationTests;

/// <summary>`weft bench` as a process against real HTTP servers on 127.0.0.1, for about two seconds each.</summary>
public sealed class BenchCommandTests
{
    [Theory]
    [InlineData("1.1")]
    [InlineData("2")]
    public async Task Sends_rate_times_duration_requests_and_measures_them(string http)
    {
        await using var server = await FixedStatusServer.StartAsync(200, http2: http == "2");

        var (exitCode, stdout, stderr) = await WeftCli.RunAsync("bench", server.Url, "--rate", "200", "--duration", "2s", "--connections", "4", "--http", http, "-o", "json");

        Assert.True(exitCode == 0, $"exit {exitCode}: {stderr}{stdout}");
        var result = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(400, result.GetProperty("scheduled").GetInt64());
        Assert.Equal(400, result.GetProperty("sent").GetInt64());
        Assert.Equal(400, result.GetProperty("ok").GetInt64());
        Assert.Equal(0, result.GetProperty("errors").GetInt64());
        Assert.InRange(result.GetProperty("achievedRps").GetDouble(), 100, 200.5);
        var latency = result.GetProperty("latencyUs");
        Assert.InRange(latency.GetProperty("p50").GetDouble(), 1, latency.GetProperty("max").GetDouble());

        // The server saw the measured requests, plus one per connection opened before the schedule.
        Assert.InRange(server.Requests, 400, 404);
    }

    [Fact]
    public async Task Counts_error_statuses_by_code()
    {
        await using var server = await FixedStatusServer.StartAsync(500);

        var (exitCode, stdout, stderr) = await WeftCli.RunAsync("bench", server.Url, "--rate", "100", "--duration", "1s", "--connections", "2", "-o", "json");

        Assert.True(exitCode == 1, $"exit {exitCode} (1: no request succeeded): {stderr}{stdout}");
        var result = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(100, result.GetProperty("sent").GetInt64());
        Assert.Equal(0, result.GetProperty("ok").GetInt64());
        Assert.Equal(100, result.GetProperty("errors").GetInt64());
        Assert.Equal(100, result.GetProperty("statusErrors").GetProperty("500").GetInt64());
        Assert.Equal(0, result.GetProperty("connectionErrors").GetInt64());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("latencyUs").ValueKind);
    }

    [Fact]
    public async Task A_text_run_prints_percentiles_and_the_error_breakdown()
    {
        await using var server = await FixedStatusServer.StartAsync(503);

        var (exitCode, stdout, _) = await WeftCli.RunAsync("bench", server.Url, "--rate", "50", "--duration", "1s", "--connections", "1");

        Assert.Equal(1, exitCode);
        Assert.Contains("requests   50 sent of 50 scheduled, 0 ok, 50 errors", stdout, StringComparison.Ordinal);
        Assert.Contains("errors     HTTP 503: 50, connection: 0, timeout (5s): 0", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--rate", "0", "--rate: '0'")]
    [InlineData("--duration", "forever", "--duration: 'forever'")]
    [InlineData("--frobnicate", "1", "unknown option --frobnicate")]
    public async Task Bad_input_exits_2_naming_the_option(string option, string value, string message)
    {
        var (exitCode, _, stderr) = await WeftCli.RunAsync("bench", "http://127.0.0.1:9/", option, value);

        Assert.Equal(2, exitCode);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }
}
