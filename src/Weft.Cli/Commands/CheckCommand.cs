using System.Globalization;
using System.Text.Json;
using Weft.ControlPlane.Api;
using Weft.ControlPlane.Registry;
using Weft.ControlPlane.Hosting;

namespace Weft.Cli.Commands;

/// <summary>
/// `weft check`: is the mesh healthy? Control plane up and config accepted, every workload meshed
/// and ready, certificates valid, every proxy on the latest config. Exits 1 naming each culprit.
/// </summary>
internal static class CheckCommand
{
    /// <summary>A certificate renews at half-life; one with under a tenth of its life left is not renewing.</summary>
    private const double MinimumLifeLeft = 0.10;

    /// <summary>The CA root must outlive the certificates it signs by a comfortable margin.</summary>
    private static readonly TimeSpan RootExpiryWarning = TimeSpan.FromDays(30);

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
            var rootLeft = status.ControlPlane.RootCertificateExpiry - DateTimeOffset.UtcNow;
            findings.Add(new Finding(rootLeft > RootExpiryWarning, "ca", $"root certificate valid until {status.ControlPlane.RootCertificateExpiry:u} ({Math.Floor(rootLeft.TotalDays).ToString(CultureInfo.InvariantCulture)} days left)"));
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

        foreach (var refused in status.ControlPlane.RefusedResources)
        {
            findings.Add(new Finding(false, "config", $"refused, its last good version stays in force: {refused}"));
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        foreach (var workload in status.Workloads)
        {
            var subject = $"{workload.Namespace}/{workload.Workload}";
            if (workload.Phase == InstancePhases.CrashLoopBackOff)
            {
                findings.Add(new Finding(false, subject, CrashLoopMessage(workload)));
                continue;
            }

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

            var (probe, skew) = await ProbeAdminAsync(http, workload.AdminEndpoint, cancellation);
            if (probe is not null)
            {
                findings.Add(new Finding(false, subject, $"sidecar admin /ready: {probe}"));
                continue;
            }

            // Certificates and JWTs are checked against the clock: a sidecar whose clock is off refuses valid ones.
            if (skew is { } offset && offset.Duration() > MaxClockSkew)
            {
                findings.Add(new Finding(false, subject, $"the sidecar's clock is {offset.TotalSeconds:+0;-0}s off this machine's (more than {MaxClockSkew.TotalSeconds:0}s): certificate and token validity will be misjudged"));
                continue;
            }

            var expiry = workload.Proxy?.CertificateExpiry;
            if (expiry is null || expiry <= now)
            {
                findings.Add(new Finding(false, subject, expiry is null ? "no certificate" : $"certificate expired at {expiry:u}"));
                continue;
            }

            findings.Add(CertificateFinding(subject, workload.Identity, workload.Proxy?.AckedVersion, workload.Proxy?.CertificateIssuedAt, expiry.Value, now));
        }

        return findings;
    }

    /// <summary>What a crash loop needs to be understood: how often, the last exit code, and the app's last words.</summary>
    public static string CrashLoopMessage(WorkloadStatus workload)
    {
        var message = $"CrashLoopBackOff: restarted {workload.Restarts.ToString(CultureInfo.InvariantCulture)} time(s), last exit code {workload.LastExitCode?.ToString(CultureInfo.InvariantCulture) ?? "?"}"
            + (workload.LastExitAt is { } at ? $" at {at:u}" : "");
        var lines = workload.AppLogFile is { } file ? LastLines(file, 5) : [];
        return lines.Count == 0
            ? message + $" (the application wrote nothing; `weft logs {workload.Workload} --app`)"
            : message + $"; its last output ({workload.AppLogFile}):\n    " + string.Join("\n    ", lines);
    }

    /// <summary>The last <paramref name="count"/> non-empty lines of a log, read from its end (it may be large).</summary>
    public static IReadOnlyList<string> LastLines(string path, int count)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var start = Math.Max(0, stream.Length - 16 * 1024);
            stream.Seek(start, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            var lines = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return lines[(start > 0 ? 1 : 0)..].TakeLast(count).ToList(); // a line cut by the seek is dropped
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    public static Finding CertificateFinding(string subject, string identity, string? version, DateTimeOffset? issuedAt, DateTimeOffset expiry, DateTimeOffset now)
    {
        var left = expiry - now;
        var lifetime = expiry - (issuedAt ?? expiry - TimeSpan.FromHours(24));
        var fraction = lifetime > TimeSpan.Zero ? left / lifetime : 0;
        var certificate = $"certificate {identity} valid until {expiry:u} ({Hours(left)} left)";
        return fraction >= MinimumLifeLeft
            ? new Finding(true, subject, $"meshed, ready, config version {version} (latest), {certificate}")
            : new Finding(false, subject, $"{certificate}: less than {MinimumLifeLeft:P0} of its {Hours(lifetime)} lifetime left — it should have renewed at half-life; see `weft logs {subject.Split('/')[^1]} --sidecar`");
    }

    private static string Hours(TimeSpan span) => span.TotalHours >= 1
        ? span.TotalHours.ToString("0.#", CultureInfo.InvariantCulture) + "h"
        : span.TotalSeconds.ToString("0", CultureInfo.InvariantCulture) + "s";

    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromSeconds(5);

    /// <summary>The sidecar's /ready: null when ready, else why; and how far its clock (its Date header) is from ours.</summary>
    private static async Task<(string? Problem, TimeSpan? Skew)> ProbeAdminAsync(HttpClient http, string? admin, CancellationToken cancellation)
    {
        if (admin is null)
        {
            return ("no admin port", null);
        }

        try
        {
            var sent = DateTimeOffset.UtcNow;
            using var response = await http.GetAsync($"http://{admin}/ready", cancellation);
            var received = DateTimeOffset.UtcNow;
            // Date has a one-second resolution: compare with the middle of the exchange, and forgive that second.
            var skew = response.Headers.Date is { } date ? date - (sent + ((received - sent) / 2)) : (TimeSpan?)null;
            if (skew is { } s && s.Duration() <= TimeSpan.FromSeconds(1))
            {
                skew = TimeSpan.Zero;
            }

            return (response.IsSuccessStatusCode ? null : (await response.Content.ReadAsStringAsync(cancellation)).Trim(), skew);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return ($"unreachable at {admin} ({e.Message})", null);
        }
    }
}
