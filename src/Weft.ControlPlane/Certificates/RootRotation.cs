using System.Globalization;
using Microsoft.Extensions.Logging;
using Weft.ControlPlane.State;

namespace Weft.ControlPlane.Certificates;

/// <summary>What one root rotation did, step by step.</summary>
public sealed record RootRotationReport(string OldRoot, string NewRoot, IReadOnlyList<RootRotationStep> Steps);

public sealed record RootRotationStep(string Name, double Seconds);

/// <summary>
/// Replaces the mesh's root CA under traffic, without a failed handshake: (1) the new root joins the
/// trust bundle and every proxy must acknowledge it; (2) the new root signs and every proxy must
/// hold a certificate from it; (3) the old root leaves the bundle and every proxy acknowledges that.
/// A step that does not complete within its timeout stops the rotation and names the proxies that
/// held it up; the bundle then still trusts both roots, so nothing breaks while it is retried.
/// </summary>
public sealed partial class RootRotation(CertificateAuthority authority, MeshState state, ProxyTracker tracker, TimeProvider time, ILogger<RootRotation> logger)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private readonly SemaphoreSlim _running = new(1, 1);

    public async Task<RootRotationReport> RunAsync(TimeSpan stepTimeout, CancellationToken cancellation)
    {
        if (!await _running.WaitAsync(0, cancellation))
        {
            throw new InvalidOperationException("a root rotation is already running");
        }

        try
        {
            var steps = new List<RootRotationStep>();
            var oldRoot = authority.Root.Subject;
            var generation = state.Trust.CertificateGeneration;

            var started = time.GetTimestamp();
            var next = authority.AddNextRoot();
            Log.Step(logger, "new root added to the trust bundle", next.Subject);
            await PushAndWaitAsync(new MeshTrust(authority.TrustBundlePem, generation), stepTimeout, cancellation);
            steps.Add(new("every proxy trusts both roots", time.GetElapsedTime(started).TotalSeconds));

            started = time.GetTimestamp();
            authority.PromoteNextRoot();
            Log.Step(logger, "new root signs; proxies re-issue", next.Subject);
            await PushAndWaitAsync(new MeshTrust(authority.TrustBundlePem, generation + 1), stepTimeout, cancellation);
            await WaitAsync(() => Lagging(p => p.CertificateIssuer != next.Subject, "holds no certificate from the new root"), stepTimeout, cancellation);
            steps.Add(new("every proxy holds a certificate from the new root", time.GetElapsedTime(started).TotalSeconds));

            started = time.GetTimestamp();
            authority.RetirePreviousRoot();
            Log.Step(logger, "old root retired", oldRoot);
            await PushAndWaitAsync(new MeshTrust(authority.TrustBundlePem, generation + 1), stepTimeout, cancellation);
            steps.Add(new("every proxy trusts only the new root", time.GetElapsedTime(started).TotalSeconds));
            return new RootRotationReport(oldRoot, next.Subject, steps);
        }
        finally
        {
            _running.Release();
        }
    }

    private async Task PushAndWaitAsync(MeshTrust trust, TimeSpan timeout, CancellationToken cancellation)
    {
        state.SetTrust(trust);
        var published = state.Current ?? throw new InvalidOperationException("the mesh has no config yet");
        await WaitAsync(() => Lagging(p =>
        {
            var expected = published.Proxies.GetValueOrDefault(p.Key)?.Version;
            return expected is null || !long.TryParse(p.AckedVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var acked)
                || acked < long.Parse(expected, CultureInfo.InvariantCulture);
        }, "has not acknowledged the new trust bundle", published.Proxies.Keys), timeout, cancellation);
    }

    /// <summary>The proxies (of the mesh's config) that do not satisfy a step yet, with why.</summary>
    private List<string> Lagging(Func<ProxyStatus, bool> lagging, string why, IEnumerable<string>? keys = null)
    {
        var problems = new List<string>();
        foreach (var key in keys ?? state.Current?.Proxies.Keys ?? [])
        {
            var proxy = tracker.Find(key);
            if (proxy is null || !proxy.Connected)
            {
                problems.Add($"{key} is not connected");
            }
            else if (lagging(proxy))
            {
                problems.Add($"{key} {why}");
            }
        }

        return problems;
    }

    private async Task WaitAsync(Func<List<string>> problems, TimeSpan timeout, CancellationToken cancellation)
    {
        var deadline = time.GetTimestamp() + (long)(timeout.TotalSeconds * time.TimestampFrequency);
        while (true)
        {
            var current = problems();
            if (current.Count == 0)
            {
                return;
            }

            if (time.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"root rotation stopped after {timeout.TotalSeconds:0}s: {string.Join("; ", current)}");
            }

            await Task.Delay(PollInterval, time, cancellation);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(30, LogLevel.Information, "Root rotation: {Step} ({Root})")]
        public static partial void Step(ILogger logger, string step, string root);
    }
}
