using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Mesh.Compilation;

namespace Weft.Mesh.Analysis;

/// <summary>
/// IST0173 DestinationRuleSubsetNotSelectPods: a subset whose labels, with its Service's selector,
/// pick no workload — traffic sent to it finds no endpoint. Pods carry their node's topology
/// labels, as in Istio. (A DestinationRule whose host is no Service is the compiler's IST0174.)
/// </summary>
internal static class DestinationRuleSubsets
{
    public static IEnumerable<ConfigDiagnostic> Find(AnalysisInput input)
    {
        var services = input.OfType<Service>().GroupBy(s => s.Fqdn(input.Options.ClusterDomain)).ToDictionary(g => g.Key, g => g.First());
        foreach (var rule in input.OfType<DestinationRule>())
        {
            if (!services.TryGetValue(HostNames.ToFqdn(rule.Spec.Host, rule.Namespace, input.Options), out var service))
            {
                continue;
            }

            for (var i = 0; i < rule.Spec.Subsets.Count; i++)
            {
                var subset = rule.Spec.Subsets[i];
                var selector = new Dictionary<string, string>(service.Spec.Selector ?? [], StringComparer.Ordinal);
                foreach (var (key, value) in subset.Labels)
                {
                    selector[key] = value;
                }

                if (!input.Workloads.Any(w => w.Namespace == service.Namespace && Labels.Match(selector, w.Metadata.Labels)))
                {
                    yield return AnalysisInput.Finding(DiagnosticSeverity.Warning, "IST0173", rule, $"spec.subsets[{i}].labels",
                        $"The Subset {subset.Name} defined in the DestinationRule does not select any pods ({string.Join(",", selector.Select(l => $"{l.Key}={l.Value}"))}): requests routed to it fail — fix: correct the labels");
                }
            }
        }
    }
}
