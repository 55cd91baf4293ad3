using System.Globalization;
using System.Text.Json;
using Weft.ControlPlane.Api;
using Weft.ControlPlane.Hosting;

namespace Weft.Cli.Commands;

/// <summary>
/// `weft check`: is the mesh healthy? Control plane up and config accepted, every workload meshed
/// and ready, certificates valid, every proxy on the latest config. Exits 1 naming each culprit.
/// </summary>
internal static class CheckCommand
{
    private static readonly TimeSpan ExpiryWarning = TimeSpan.FromHours(1);

    public sealed record Finding(bool Ok, string Subject, string Message);

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellation)
    {
        var arguments = new CliArguments(args);
        List<Finding> findings;
        try
        {
            using var client = MeshApiClient.Open(arguments.StateDirectory);
            var status = await client.GetStatusAsync(cancellation);
            findings = [new Finding(true, "control-plane", $"up at {status.ControlPlane.ApiAddress}, config version {status.ControlPlane.Version}")];
            findings.AddRange(await CheckAsync(status, DateTimeOffset.UtcNow, cancellation));
        }
        catch (MeshNotRunningException e)
        {
            findings = [new Finding(false, "control-plane", e.Message)];
        }

        if (arguments.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { ok = findings.TrueForAll(f => f.Ok), findings }, ControlPlaneHost.JsonOptions));
        }
        else
        {
            foreach (var finding in findings)
            {
                Console.WriteLine($"{(finding.Ok ? "✔" : "✘")} {finding.Subject}: {finding.Message}");
            }

            var failed = findings.Count(f => !f.Ok);
            Console.WriteLine(failed == 0 ? "\nthe mesh is healthy" : $"\n{failed} problem(s) found");
        }

        return findings.TrueForAll(f => f.Ok) ? 0 : 1;
    }

    private static async Task<List<Finding>> CheckAsync(MeshStatus status, DateTimeOffset now, CancellationToken cancellation)
    {
        var findings = new List<Finding>();
        if (status.ControlPlane.LastRejection is { } rejection)
        {
            findings.Add(new Finding(false, "config", $"the latest edit was rejected at {rejection.At:u}; version {status.ControlPlane.Version} stays in force:\n    "
                + string.Join("\n    ", rejection.Errors)));
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        foreach (var workload in status.Workloads)
        {
            var subject = $"{workload.Namespace}/{workload.Workload}";
            if (!workload.Meshed)
            {
                findings.Add(new Finding(false, subject, "not meshed: no sidecar, its traffic is neither encrypted nor governed by the mesh"));
                continue;
            }

            if (!workload.Ready)
            {
                findings.Add(new Finding(false, subject, workload.Problem ?? "not ready"));
                continue;
            }

            var probe = await ProbeAdminAsync(http, workload.AdminPort, cancellation);
            if (probe is not null)
            {
                findings.Add(new Finding(false, subject, $"sidecar admin /ready: {probe}"));
                continue;
            }

            var expiry = workload.Proxy?.CertificateExpiry;
            if (expiry is null || expiry <= now)
            {
                findings.Add(new Finding(false, subject, expiry is null ? "no certificate" : $"certificate expired at {expiry:u}"));
                continue;
            }

            var left = expiry.Value - now;
            var certificate = $"certificate {workload.Identity} valid until {expiry:u} ({left.TotalHours.ToString("0.#", CultureInfo.InvariantCulture)}h left)";
            findings.Add(new Finding(left > ExpiryWarning, subject, $"meshed, ready, config version {workload.Proxy?.AckedVersion} (latest), {certificate}"));
        }

        return findings;
    }

    private static async Task<string?> ProbeAdminAsync(HttpClient http, int? adminPort, CancellationToken cancellation)
    {
        if (adminPort is null)
        {
            return "no admin port";
        }

        try
        {
            using var response = await http.GetAsync($"http://127.0.0.1:{adminPort}/ready", cancellation);
            return response.IsSuccessStatusCode ? null : (await response.Content.ReadAsStringAsync(cancellation)).Trim();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return $"unreachable on port {adminPort} ({e.Message})";
        }
    }
}
