using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace Weft.IntegrationTests;

/// <summary>Config edits while the mesh runs: applied within seconds, nothing lost, bad edits refused.</summary>
public sealed class LiveConfigTests(LiveConfigTests.Fixture fixture) : IClassFixture<LiveConfigTests.Fixture>
{
    private readonly MeshProcess _mesh = fixture.Mesh;

    /// <summary>A mesh of this class's own.</summary>
    public sealed class Fixture() : MeshFixture("payments");

    private string TrafficFile => Path.Combine(_mesh.ConfigDirectory, "traffic.yaml");

    [Fact]
    public async Task Weights_shifted_in_the_file_take_effect_within_2s_and_no_request_fails_meanwhile()
    {
        using var checkout = await _mesh.ClientOfAsync("checkout");
        var failures = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var stream = Task.Run(async () =>
        {
            var sent = 0;
            while (!stop.IsCancellationRequested)
            {
                using var response = await checkout.GetAsync("http://payments/");
                sent++;
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }

            return sent;
        });

        var before = (await _mesh.StatusAsync()).ControlPlane.Version;
        var edited = (await File.ReadAllTextAsync(TrafficFile)).Replace("weight: 90", "weight: 50").Replace("weight: 10", "weight: 50");
        var changedAt = DateTime.UtcNow;
        await File.WriteAllTextAsync(TrafficFile, edited);
        await Eventually.TrueAsync(async () =>
        {
            var status = await _mesh.StatusAsync();
            var checkoutProxy = status.Workloads.Single(w => w.Workload == "checkout").Proxy!;
            return status.ControlPlane.Version != before && checkoutProxy.AckedVersion == checkoutProxy.ExpectedVersion;
        }, TimeSpan.FromSeconds(2), "checkout's sidecar to acknowledge the new weights");
        var tookEffectIn = DateTime.UtcNow - changedAt;

        var v2 = 0;
        for (var i = 0; i < 400; i++)
        {
            var body = JsonDocument.Parse(await checkout.GetStringAsync("http://payments/")).RootElement;
            v2 += body.GetProperty("version").GetString() == "v2" ? 1 : 0;
        }

        await stop.CancelAsync();
        var sent = await stream;
        Assert.InRange(v2, 160, 240); // 50% ± 10 points over 400 requests
        Assert.True(sent > 50, $"only {sent} requests were sent during the change");
        Assert.Empty(failures);
        Assert.True(tookEffectIn < TimeSpan.FromSeconds(2), $"took {tookEffectIn}");
    }

    public static TheoryData<string, string, string> InvalidEdits => new()
    {
        { "weight: 90", "weight: [broken", "invalid YAML" },
        { "weight: 90", "weight: ninety", "expected an integer" },
        { "subset: v2", "subset: v3", "subset 'v3' is not defined" },
    };

    [Theory]
    [MemberData(nameof(InvalidEdits))]
    public async Task An_invalid_edit_is_reported_with_file_and_line_and_the_last_good_config_stays(string from, string to, string reason)
    {
        var original = await File.ReadAllTextAsync(TrafficFile);
        var before = await _mesh.StatusAsync();
        try
        {
            var at = original.IndexOf(from, StringComparison.Ordinal);
            await File.WriteAllTextAsync(TrafficFile, string.Concat(original.AsSpan(0, at), to, original.AsSpan(at + from.Length))); // the first occurrence only
            await Eventually.TrueAsync(async () => (await _mesh.StatusAsync()).ControlPlane.LastRejection is not null, TimeSpan.FromSeconds(5), "the edit to be rejected");

            var status = await _mesh.StatusAsync();
            var error = Assert.Single(status.ControlPlane.LastRejection!.Errors);
            Assert.Contains("traffic.yaml:", error, StringComparison.Ordinal);
            Assert.Contains(reason, error, StringComparison.Ordinal);
            var line = original.Split('\n').ToList().FindIndex(l => l.Contains(from, StringComparison.Ordinal)) + 1;
            Assert.Contains($"traffic.yaml:{line}:", error, StringComparison.Ordinal);
            Assert.Equal(before.ControlPlane.Version, status.ControlPlane.Version);

            using var checkout = await _mesh.ClientOfAsync("checkout");
            using var response = await checkout.GetAsync("http://payments/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

            var check = await _mesh.RunCliAsync("check");
            Assert.Equal(1, check.ExitCode);
            Assert.Contains(reason, check.Output, StringComparison.Ordinal);
        }
        finally
        {
            await File.WriteAllTextAsync(TrafficFile, original);
            await Eventually.TrueAsync(async () => (await _mesh.StatusAsync()).ControlPlane.LastRejection is null, TimeSpan.FromSeconds(5), "the repaired file to be accepted");
        }
    }
}
