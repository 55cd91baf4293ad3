using System.Globalization;
using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.ControlPlane.Api;

namespace Weft.Cli.Commands;

/// <summary>
/// What `weft analyze --live` adds to the static findings: what the running mesh shows that the
/// files cannot — sidecars out of sync or refusing their config, STRICT ports refusing plaintext
/// callers, calls to hosts the mesh does not know, and which policies are denying traffic.
/// </summary>
internal static class LiveFindings
{
    public const string SidecarNotSynced = "WEFT0301";
    public const string ConfigRefused = "WEFT0302";
    public const string PlaintextRefused = "WEFT0303";
    public const string UnknownHost = "WEFT0304";
    public const string PolicyDenying = "WEFT0305";

    public static async Task<List<ConfigDiagnostic>> FindAsync(MeshStatus status, IReadOnlyList<Resource> resources, HttpClient http, CancellationToken cancellation)
    {
        var findings = new List<ConfigDiagnostic>();
        foreach (var workload in status.Workloads.Where(w => w.Meshed))
        {
            var name = $"{workload.Namespace}/{workload.Workload}";
            var at = Where(resources, workload);
            var proxy = workload.Proxy;
            if (proxy is { LastNack: { } nack })
            {
                findings.Add(new(DiagnosticSeverity.Error, ConfigRefused, at, $"Workload {name}", "",
                    $"the sidecar refused its config: {nack} — it keeps serving version {proxy.AckedVersion ?? "none"}; fix the resource the message names"));
            }
            else if (proxy is null || !proxy.Connected || proxy.AckedVersion != proxy.ExpectedVersion)
            {
                findings.Add(new(DiagnosticSeverity.Warning, SidecarNotSynced, at, $"Workload {name}", "",
                    proxy is null || !proxy.Connected
                        ? "the sidecar is not connected to the control plane: it runs its last config, or none — see `weft check` and `weft logs " + workload.Workload + " --sidecar`"
                        : $"the sidecar runs config version {proxy.AckedVersion ?? "none"}, the latest is {proxy.ExpectedVersion}"));
            }

            if (workload.AdminEndpoint is not { } admin || await SidecarMetrics.ScrapeAsync(http, admin, cancellation) is not { } metrics)
            {
                continue;
            }

            var refused = Sum(metrics, s => s.Name == "istio_requests_total" && s.Label("reporter") == "destination" && s.Label("response_flags") == "mtls-required");
            if (refused > 0)
            {
                findings.Add(new(DiagnosticSeverity.Warning, PlaintextRefused, at, $"Workload {name}", "",
                    $"STRICT mTLS refused {Count(refused)} plaintext request(s): a client without a sidecar calls it — fix: mesh the client, or make this workload's PeerAuthentication PERMISSIVE until it is"));
            }

            var noRoute = Sum(metrics, s => s.Name == "istio_requests_total" && s.Label("reporter") == "source" && s.Label("response_flags") == "no-route");
            if (noRoute > 0)
            {
                findings.Add(new(DiagnosticSeverity.Warning, UnknownHost, at, $"Workload {name}", "",
                    $"{Count(noRoute)} request(s) from this workload named a host the mesh has no service or route for (404 no-route) — fix: check the host name, or add the Service"));
            }

            foreach (var denial in metrics.Where(s => s.Name == "weft_authz_denied_total" && s.Value > 0))
            {
                findings.Add(new(DiagnosticSeverity.Info, PolicyDenying, at, $"Workload {name}", "",
                    $"{denial.Label("policy")} denied {Count(denial.Value)} request(s) here — `weft explain --denied {workload.Workload}` shows why, if that is not intended"));
            }
        }

        return findings;
    }

    private static double Sum(IEnumerable<MetricSeries> metrics, Func<MetricSeries, bool> predicate) => metrics.Where(predicate).Sum(s => s.Value);

    private static string Count(double value) => value.ToString("0", CultureInfo.InvariantCulture);

    /// <summary>The workload's manifest where the running config has one; the live mesh otherwise.</summary>
    private static SourceLocation Where(IReadOnlyList<Resource> resources, WorkloadStatus workload) =>
        resources.OfType<Workload>().FirstOrDefault(w => w.Name == workload.Workload && w.Namespace == workload.Namespace)?.Locate("metadata.name")
        ?? new SourceLocation("(live)", 0, 0);
}
