using Weft.Config.Model;
using Weft.Mesh.Model;
using Weft.Protocol.V1;

namespace Weft.Mesh.Compilation;

/// <summary>
/// Decides a workload port's mTLS mode with Istio's precedence: the workload-selector policy in
/// the workload's namespace, then the namespace-wide policy, then the mesh-wide policy in the root
/// namespace, then PERMISSIVE. UNSET (or no mode) inherits from the next level.
/// </summary>
internal sealed class PeerAuthenticationResolver(MeshSnapshot snapshot)
{
    private readonly List<PeerAuthentication> _policies = snapshot.OfType<PeerAuthentication>()
        .OrderBy(p => p.Metadata.CreationTimestamp ?? "", StringComparer.Ordinal)
        .ThenBy(p => p.Name, StringComparer.Ordinal)
        .ToList();

    public (MtlsMode Mode, string Policy) Resolve(WorkloadInstance instance, int port)
    {
        var selected = _policies.FirstOrDefault(p => p.Namespace == instance.Namespace && p.Spec.Selector is { MatchLabels.Count: > 0 } s
            && Labels.Match(s.MatchLabels, instance.Labels));
        if (selected is not null)
        {
            var portKey = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (selected.Spec.PortLevelMtls?.GetValueOrDefault(portKey)?.Mode is { } portMode && portMode != "UNSET")
            {
                return (Parse(portMode), $"{selected.Namespace}/{selected.Name}");
            }

            if (selected.Spec.Mtls?.Mode is { } mode && mode != "UNSET")
            {
                return (Parse(mode), $"{selected.Namespace}/{selected.Name}");
            }
        }

        foreach (var scope in new[] { instance.Namespace, snapshot.Options.RootNamespace })
        {
            var policy = _policies.FirstOrDefault(p => p.Namespace == scope && p.Spec.Selector is null or { MatchLabels.Count: 0 });
            if (policy?.Spec.Mtls?.Mode is { } mode && mode != "UNSET")
            {
                return (Parse(mode), $"{policy.Namespace}/{policy.Name}");
            }
        }

        return (MtlsMode.Permissive, "");
    }

    private static MtlsMode Parse(string mode) => mode switch
    {
        "STRICT" => MtlsMode.Strict,
        "DISABLE" => MtlsMode.Disable,
        _ => MtlsMode.Permissive,
    };
}
