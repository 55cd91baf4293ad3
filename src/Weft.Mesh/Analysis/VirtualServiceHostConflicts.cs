using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Mesh.Compilation;

namespace Weft.Mesh.Analysis;

/// <summary>
/// IST0109 ConflictingMeshGatewayVirtualServiceHosts: several VirtualServices bound to the mesh
/// (no gateways, or "mesh" among them) define the same host for the same clients. A VirtualService
/// exported to its own namespace only (exportTo other than "*") conflicts with those of that
/// namespace and with those exported everywhere. Every VirtualService in a conflict is reported,
/// once; Weft applies only the oldest of them.
/// </summary>
internal static class VirtualServiceHostConflicts
{
    private const string Everywhere = "*";

    public static IEnumerable<ConfigDiagnostic> Find(AnalysisInput input)
    {
        // (scope, FQDN) → the VirtualServices defining it, with the index of the host in each.
        var byHost = new Dictionary<(string Scope, string Fqdn), List<(VirtualService Resource, int Host)>>();
        foreach (var virtualService in input.OfType<VirtualService>().Where(RouteCompiler.BoundToMesh))
        {
            var exportTo = virtualService.Spec.ExportTo;
            var scope = exportTo is null or { Count: 0 } || exportTo.Contains(Everywhere) ? Everywhere : virtualService.Namespace;
            for (var h = 0; h < virtualService.Spec.Hosts.Count; h++)
            {
                var key = (scope, HostNames.ToFqdn(virtualService.Spec.Hosts[h], virtualService.Namespace, input.Options));
                if (!byHost.TryGetValue(key, out var list))
                {
                    byHost[key] = list = [];
                }

                list.Add((virtualService, h));
            }
        }

        var reported = new HashSet<VirtualService>(ReferenceEqualityComparer.Instance);
        foreach (var ((scope, fqdn), local) in byHost.OrderBy(e => e.Key.Scope, StringComparer.Ordinal).ThenBy(e => e.Key.Fqdn, StringComparer.Ordinal))
        {
            var conflicting = scope == Everywhere ? local : [.. local, .. byHost.GetValueOrDefault((Everywhere, fqdn)) ?? []];
            if (conflicting.Select(c => c.Resource).Distinct(ReferenceEqualityComparer.Instance).Count() < 2)
            {
                continue;
            }

            var names = string.Join(",", conflicting.Select(c => $"{c.Resource.Namespace}/{c.Resource.Name}").Distinct().Order(StringComparer.Ordinal));
            foreach (var (virtualService, host) in conflicting)
            {
                if (reported.Add(virtualService))
                {
                    yield return AnalysisInput.Finding(DiagnosticSeverity.Warning, "IST0109", virtualService, $"spec.hosts[{host}]",
                        $"The VirtualServices {names} associated with mesh gateway define the same host {virtualService.Spec.Hosts[host]} which can lead to undefined behavior (Weft applies the oldest) — fix: merge the conflicting VirtualServices into a single resource");
                }
            }
        }
    }
}
