using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Mesh.Compilation;
using Weft.Mesh.Model;

namespace Weft.Mesh.Analysis;

/// <summary>
/// WEFT0208: a PeerAuthentication that makes workload ports STRICT while the mesh has workloads
/// without a sidecar. Those can only speak plaintext, so every call they make to a port it covers
/// is refused — the classic breakage of turning STRICT on before everything is meshed.
/// </summary>
internal static class StrictWithUnmeshedClients
{
    public static IEnumerable<ConfigDiagnostic> Find(AnalysisInput input, MeshSnapshot snapshot)
    {
        var unmeshed = snapshot.Instances.Where(i => !i.Workload.Spec.Mesh).Select(i => $"{i.Namespace}/{i.Name}").Distinct().Order(StringComparer.Ordinal).ToList();
        if (unmeshed.Count == 0)
        {
            yield break;
        }

        var resolver = new PeerAuthenticationResolver(snapshot);
        var covered = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var instance in snapshot.Instances.Where(i => i.Workload.Spec.Mesh))
        {
            foreach (var port in instance.Workload.Spec.Ports)
            {
                var (mode, policy) = resolver.Resolve(instance, port.Port);
                if (mode == Protocol.V1.MtlsMode.Strict && policy.Length > 0)
                {
                    (covered.TryGetValue(policy, out var set) ? set : covered[policy] = new SortedSet<string>(StringComparer.Ordinal)).Add($"{instance.Namespace}/{instance.Name}");
                }
            }
        }

        foreach (var policy in input.OfType<PeerAuthentication>())
        {
            if (!covered.TryGetValue($"{policy.Namespace}/{policy.Name}", out var workloads))
            {
                continue;
            }

            var field = policy.Spec.Mtls?.Mode == "STRICT" ? "spec.mtls.mode" : "spec.portLevelMtls";
            yield return AnalysisInput.Finding(DiagnosticSeverity.Warning, "WEFT0208", policy, field,
                $"STRICT refuses plaintext, and {string.Join(", ", unmeshed)} {(unmeshed.Count == 1 ? "has" : "have")} no sidecar: {(unmeshed.Count == 1 ? "its" : "their")} calls to {string.Join(", ", workloads)} will be refused — fix: mesh {(unmeshed.Count == 1 ? "it" : "them")}, or use PERMISSIVE until they are");
        }
    }
}
