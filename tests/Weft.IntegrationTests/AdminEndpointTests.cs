using System.Net;

namespace Weft.IntegrationTests;

/// <summary>The admin port's state-changing endpoints (the log level, /quitquitquit), and the access log sent to stdout.</summary>
public sealed class AdminEndpointTests
{
    [Fact]
    public async Task Logging_changes_level_and_quitquitquit_drains_and_stops_the_sidecar()
    {
        await using var mesh = await MeshProcess.StartAsync("payments", "--access-log", "stdout");
        using (var checkout = await mesh.ClientOfAsync("checkout"))
        {
            (await checkout.GetAsync("http://payments/stdout-check")).EnsureSuccessStatusCode();
        }

        // With --access-log stdout the lines go to the sidecar's output (its log under weft up), not the access log file.
        await Eventually.TrueAsync(async () =>
        {
            var v1 = await mesh.RunCliAsync("logs", "payments-v1", "--sidecar");
            var v2 = await mesh.RunCliAsync("logs", "payments-v2", "--sidecar");
            return (v1.Output + v2.Output).Contains("\"path\":\"/stdout-check\"", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10), "the access log line in the sidecar's output");
        Assert.DoesNotContain("/stdout-check", (await mesh.RunCliAsync("logs", "checkout")).Output, StringComparison.Ordinal);

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
