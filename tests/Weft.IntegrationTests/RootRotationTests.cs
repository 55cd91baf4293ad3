using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace Weft.IntegrationTests;

/// <summary>`weft ca rotate` replaces the root CA of a running mesh under steady traffic, with no failed request.</summary>
public sealed class RootRotationTests
{
    [Fact]
    public async Task The_root_rotates_under_load_without_a_failed_request()
    {
        await using var mesh = await MeshProcess.StartAsync("payments");
        async Task<JsonElement> SecretAsync(string workload)
        {
            var (code, output) = await mesh.RunCliAsync("proxy-config", "secret", workload, "-o", "json");
            Assert.True(code == 0, output);
            return JsonDocument.Parse(output).RootElement.Clone();
        }

        var before = await SecretAsync("payments-v1");
        var oldRoot = before.GetProperty("issuer").GetString();
        using var checkout = await mesh.ClientOfAsync("checkout");
        var failures = new ConcurrentBag<string>();
        var sent = 0;
        using var stop = new CancellationTokenSource();
        var load = Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await checkout.GetAsync("http://payments/");
                Interlocked.Increment(ref sent);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Add($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            }
        }));

        // Traffic flows before, during and after: new connections are made throughout, since the
        // client sidecar opens one per concurrent request that finds no idle one.
        await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref sent) > 50), TimeSpan.FromSeconds(10), "traffic to start");
        var (exitCode, output) = await mesh.RunCliAsync("ca", "rotate", "--step-timeout", "30");
        var sentDuring = Volatile.Read(ref sent);
        await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref sent) > sentDuring + 50), TimeSpan.FromSeconds(10), "traffic after the rotation");
        await stop.CancelAsync();
        await load;

        Assert.True(exitCode == 0, output);
        Assert.Contains("every proxy holds a certificate from the new root", output, StringComparison.Ordinal);
        Assert.Empty(failures);

        foreach (var workload in new[] { "checkout", "payments-v1", "payments-v2", "fraud" })
        {
            var after = await SecretAsync(workload);
            var issuer = after.GetProperty("issuer").GetString();
            Assert.NotEqual(oldRoot, issuer);
            Assert.Equal([issuer], after.GetProperty("roots").EnumerateArray().Select(r => r.GetString()));
        }

        // New connections after the rotation work too: a fresh client.
        using var fresh = await mesh.ClientOfAsync("checkout");
        using var last = await fresh.GetAsync("http://payments/");
        Assert.Equal(HttpStatusCode.OK, last.StatusCode);
    }
}
