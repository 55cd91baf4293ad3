using Weft.Config.Loading;
using Weft.Config.Model;

namespace Weft.Mesh.Analysis;

/// <summary>WEFT0207: Weft's connection pools enforce maxRequestsPerConnection 1 (keep-alive off) or unlimited only.</summary>
internal static class UnenforcedConnectionLimits
{
    public static IEnumerable<ConfigDiagnostic> Find(AnalysisInput input)
    {
        foreach (var rule in input.OfType<DestinationRule>())
        {
            var policies = new List<(string Field, TrafficPolicy? Policy)> { ("spec.trafficPolicy", rule.Spec.TrafficPolicy) };
            for (var i = 0; i < rule.Spec.Subsets.Count; i++)
            {
                policies.Add(($"spec.subsets[{i}].trafficPolicy", rule.Spec.Subsets[i].TrafficPolicy));
            }

            foreach (var (field, policy) in policies)
            {
                if (policy?.ConnectionPool?.Http?.MaxRequestsPerConnection is > 1 and var limit)
                {
                    yield return AnalysisInput.Finding(DiagnosticSeverity.Warning, "WEFT0207", rule, $"{field}.connectionPool.http.maxRequestsPerConnection",
                        $"maxRequestsPerConnection {limit} is not enforced: Weft supports 1 (a connection per request) or 0 (unlimited); connections are reused without a request limit — fix: use 1, or bound connections by tcp.maxConnectionDuration");
                }
            }
        }
    }
}
