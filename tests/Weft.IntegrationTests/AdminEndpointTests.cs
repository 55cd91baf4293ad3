using System.Net;

namespace Weft.IntegrationTests;

/// <summary>The admin port's state-changing endpoints: the log level and /quitquitquit.</summary>
public sealed class AdminEndpointTests
{
    [Fact]
    public async Task Logging_changes_level_and_quitquitquit_drains_and_stops_the_sidecar()
    {
        await using var mesh = await MeshProcess.StartAsync("payments");
        var fraud = await mesh.WorkloadAsync("fraud");
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{fraud.AdminPort}") };

        Assert.Equal("level: information\n", await admin.GetStringAsync("/logging"));
        using (var changed = await admin.PostAsync("/logging?level=debug", null))
        {
            Assert.Equal("level: debug\n", await changed.Content.ReadAsStringAsync());
        }

        using (var bad = await admin.PostAsync("/logging?level=loud", null))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }

        using (var get = await admin.GetAsync("/quitquitquit"))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode); // a GET (a browser, a scraper) never stops it
        }

        using var quit = await admin.PostAsync("/quitquitquit", null);
        Assert.Equal(HttpStatusCode.OK, quit.StatusCode);
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
                await probe.GetAsync($"http://127.0.0.1:{fraud.AdminPort}/ready");
                return false;
            }
            catch (HttpRequestException)
            {
                return true;
            }
        }, TimeSpan.FromSeconds(15), "the fraud sidecar to exit");

        var (exitCode, output) = await mesh.RunCliAsync("check");
        Assert.Equal(1, exitCode);
        Assert.Contains("shop/fraud", output, StringComparison.Ordinal);
    }
}
