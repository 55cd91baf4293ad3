using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Mesh.Compilation;

namespace Weft.Mesh.Analysis;

/// <summary>
/// IST0127 NoMatchingWorkloadsFound: a policy whose selector picks no workload — or, for a
/// namespace-wide AuthorizationPolicy, whose namespace runs none — does nothing. A selector in the
/// root namespace looks across the mesh.
/// </summary>
internal static class SelectorsWithoutWorkloads
{
    public static IEnumerable<ConfigDiagnostic> Find(AnalysisInput input)
    {
        foreach (var resource in input.Resources)
        {
            var selector = resource switch
            {
                AuthorizationPolicy p => p.Spec.Selector?.MatchLabels,
                PeerAuthentication p => p.Spec.Selector?.MatchLabels,
                RequestAuthentication p => p.Spec.Selector?.MatchLabels,
                _ => null,
            };
            var meshWide = resource.Namespace == input.Options.RootNamespace;
            var scope = meshWide ? input.Workloads : input.Workloads.Where(w => w.Namespace == resource.Namespace);
            if (selector is { Count: > 0 })
            {
                if (!scope.Any(w => Labels.Match(selector, w.Metadata.Labels)))
                {
                    yield return AnalysisInput.Finding(DiagnosticSeverity.Warning, "IST0127", resource, "spec.selector",
                        $"No matching workloads for this resource with the following labels: {string.Join(",", selector.Select(l => $"{l.Key}={l.Value}"))} — fix: correct the labels or remove the resource");
                }
            }
            else if (resource is AuthorizationPolicy && !meshWide && !scope.Any())
            {
                yield return AnalysisInput.Finding(DiagnosticSeverity.Warning, "IST0127", resource, "metadata.namespace",
                    $"No matching workloads for this resource: namespace {resource.Namespace} runs no workload — fix: check the namespace or remove the policy");
            }
        }
    }
}
