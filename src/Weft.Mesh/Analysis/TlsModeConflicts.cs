using System.Text.Json;
using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Mesh.Compilation;
using Weft.Mesh.Model;

namespace Weft.Mesh.Analysis;

/// <summary>
/// WEFT0209: a DestinationRule whose <c>tls.mode</c> cannot talk to what the host's workloads accept —
/// DISABLE (or SIMPLE) towards workloads that are STRICT, or ISTIO_MUTUAL towards workloads whose
/// PeerAuthentication is DISABLE. Istio's sidecars follow the DestinationRule, so every connection
/// fails there (the condition of Istio's old IST0113 MTLSPolicyConflict). Weft originates mTLS to
/// meshed servers whatever the rule says (it reports `tls` as unsupported), so these manifests work
/// under Weft and break when applied to Istio: worth knowing before either.
/// </summary>
internal static class TlsModeConflicts
{
    public static IEnumerable<ConfigDiagnostic> Find(AnalysisInput input, MeshSnapshot snapshot)
    {
        var services = new ServiceIndex(snapshot);
        var resolver = new PeerAuthenticationResolver(snapshot);
        foreach (var rule in input.OfType<DestinationRule>())
        {
            if (rule.Spec.TrafficPolicy?.Tls is not { ValueKind: JsonValueKind.Object } tls
                || !tls.TryGetProperty("mode", out var modeElement) || modeElement.GetString() is not { } mode)
            {
                continue;
            }

            var service = services.Find(HostNames.ToFqdn(rule.Spec.Host, rule.Namespace, snapshot.Options));
            if (service is null)
            {
                continue;
            }

            if (FirstConflict(service, mode, resolver) is { } conflict)
            {
                yield return AnalysisInput.Finding(DiagnosticSeverity.Warning, "WEFT0209", rule, "spec.trafficPolicy.tls.mode",
                    $"tls.mode {mode} {conflict}: under Istio every connection fails (Weft ignores tls and uses mTLS) — fix: remove tls.mode, or use ISTIO_MUTUAL / match the PeerAuthentication");
            }
        }
    }

    private static string? FirstConflict(IndexedService service, string mode, PeerAuthenticationResolver resolver)
    {
        foreach (var (port, backends) in service.Ports)
        {
            foreach (var (instance, workloadPort) in backends.Where(b => b.Instance.Meshed))
            {
                var (serverMode, policy) = resolver.Resolve(instance, workloadPort);
                var conflict = (mode, serverMode) switch
                {
                    ("DISABLE" or "SIMPLE", Protocol.V1.MtlsMode.Strict) => $"sends {(mode == "DISABLE" ? "plaintext" : "TLS without a client certificate")} to {instance.Namespace}/{instance.Name}, which accepts only mTLS",
                    ("ISTIO_MUTUAL", Protocol.V1.MtlsMode.Disable) => $"sends mTLS to {instance.Namespace}/{instance.Name}, which accepts only plaintext",
                    _ => null,
                };
                if (conflict is not null)
                {
                    return $"{conflict} on port {port.Port} ({(policy.Length == 0 ? "the default" : "PeerAuthentication " + policy)})";
                }
            }
        }

        return null;
    }
}
