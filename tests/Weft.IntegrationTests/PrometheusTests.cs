using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Weft.IntegrationTests;

/// <summary>Skips with the reason when Debian's prometheus (installed by .ci/run) is not on this machine.</summary>
public sealed class RequiresPrometheusFactAttribute : FactAttribute
{
    public const string Binary = "/usr/bin/prometheus";

    public RequiresPrometheusFactAttribute()
    {
        if (!File.Exists(Binary))
        {
            Skip = $"needs a real Prometheus at {Binary}: apt-get install prometheus (.ci/run does)";
        }
    }
}

/// <summary>
/// A real Prometheus scrapes every sidecar through the targets file `weft up` writes, and answers
/// the queries Istio dashboards ask with what the test sent.
/// </summary>
public sealed class PrometheusTests
{
    [RequiresPrometheusFact]
    public async Task Prometheus_scrapes_the_mesh_and_answers_rate_success_ratio_and_p99()
    {
        await using var mesh = await MeshProcess.StartAsync();
        var targets = Path.Combine(mesh.StateDirectory, "prometheus-targets.json");
        await Eventually.TrueAsync(() => Task.FromResult(File.Exists(targets)), TimeSpan.FromSeconds(10), "weft up to write the Prometheus targets");

        var port = FreePort();
        var data = Directory.CreateTempSubdirectory("weft-prom-").FullName;
        var config = Path.Combine(data, "prometheus.yml");
        await File.WriteAllTextAsync(config, $$"""
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
            - job_name: weft
              file_sd_configs: [{files: ["{{targets}}"]}]
            """);
        using var prometheus = Process.Start(new ProcessStartInfo(RequiresPrometheusFactAttribute.Binary)
        {
            ArgumentList = { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(data, "tsdb")}", $"--web.listen-address=127.0.0.1:{port}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        prometheus.OutputDataReceived += (_, _) => { };
        prometheus.ErrorDataReceived += (_, _) => { };
        prometheus.BeginOutputReadLine();
        prometheus.BeginErrorReadLine();
        try
        {
            using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await Eventually.TrueAsync(async () => (await api.GetAsync("/-/ready")).IsSuccessStatusCode, TimeSpan.FromSeconds(30), "Prometheus to be ready");
            await Eventually.TrueAsync(async () => await QueryAsync(api, "count(up{job=\"weft\"} == 1)") == 4, TimeSpan.FromSeconds(30), "every sidecar to be scraped");

            using var checkout = await mesh.ClientOfAsync("checkout");
            const int sent = 200;
            for (var i = 0; i < sent; i++)
            {
                (await checkout.GetAsync("http://payments/")).EnsureSuccessStatusCode();
            }

            // The client side counts each request once (the server side would count a retried attempt twice).
            await Eventually.TrueAsync(async () =>
                    await QueryAsync(api, "sum(istio_requests_total{reporter=\"source\",destination_service_name=\"payments\",source_workload=\"checkout\"})") == sent,
                TimeSpan.FromSeconds(30), "every request to be counted");

            // rate() needs two samples of a series that grew in between: keep traffic flowing until it has them.
            double rate = double.NaN, successRatio = double.NaN, p99 = double.NaN;
            await Eventually.TrueAsync(async () =>
            {
                (await checkout.GetAsync("http://payments/")).EnsureSuccessStatusCode();
                rate = await QueryAsync(api, "sum(rate(istio_requests_total{reporter=\"destination\",destination_workload=\"payments-v1\"}[1m]))");
                successRatio = await QueryAsync(api,
                    "sum(rate(istio_requests_total{reporter=\"destination\",destination_service_name=\"payments\",response_code!~\"5..\"}[1m])) / sum(rate(istio_requests_total{reporter=\"destination\",destination_service_name=\"payments\"}[1m]))");
                p99 = await QueryAsync(api,
                    "histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter=\"destination\",destination_service_name=\"payments\"}[1m])) by (le))");
                return rate > 0 && !double.IsNaN(successRatio) && !double.IsNaN(p99);
            }, TimeSpan.FromSeconds(30), "rates over the traffic sent");

            Assert.True(rate > 0, $"rate {rate}");
            Assert.Equal(1.0, successRatio, 3);
            Assert.InRange(p99, 0.001, 1000);
        }
        finally
        {
            prometheus.Kill(entireProcessTree: true);
            await prometheus.WaitForExitAsync();
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<double> QueryAsync(HttpClient api, string query)
    {
        using var document = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/query?query={Uri.EscapeDataString(query)}"));
        var result = document.RootElement.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 0 ? double.NaN : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
