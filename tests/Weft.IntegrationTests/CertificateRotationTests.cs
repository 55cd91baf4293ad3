using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace Weft.IntegrationTests;

/// <summary>Workload certificates renew at half-life under steady traffic, with no failed request.</summary>
public sealed class CertificateRotationTests
{
    [Fact]
    public async Task Certificates_rotate_under_load_without_a_failed_request()
    {
        await using var mesh = await MeshProcess.StartAsync("payments", "--cert-lifetime", "8s");
        async Task<string> SerialAsync(string workload) =>
            JsonDocument.Parse((await mesh.RunCliAsync("proxy-config", "secret", workload, "-o", "json")).Output).RootElement.GetProperty("serial").GetString()!;

        var firstCheckout = await SerialAsync("checkout");
        var firstPayments = await SerialAsync("payments-v1");
        using var checkout = await mesh.ClientOfAsync("checkout");
        var failures = new ConcurrentBag<string>();
        var sent = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(12);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            while (DateTime.UtcNow < deadline)
            {
                using var response = await checkout.GetAsync("http://payments/");
                Interlocked.Increment(ref sent);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Add($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            }
        }));

        Assert.Empty(failures);
        Assert.True(sent > 100, $"only {sent} requests");
        Assert.NotEqual(firstCheckout, await SerialAsync("checkout"));
        Assert.NotEqual(firstPayments, await SerialAsync("payments-v1"));
        var (exitCode, output) = await mesh.RunCliAsync("check");
        Assert.Contains("valid until", output, StringComparison.Ordinal);
    }
}
