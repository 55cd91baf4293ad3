using Weft.Config.Loading;
using Weft.Config.Model;

namespace Weft.Mesh.Analysis;

/// <summary>
/// AuthorizationPolicy mistakes: ALLOW rules that allow everyone or any identity (WEFT0202),
/// principals no workload has (WEFT0201), source namespaces that match no namespace (IST0101).
/// </summary>
internal static class AuthorizationChecks
{
    public static IEnumerable<ConfigDiagnostic> Find(AnalysisInput input)
    {
        var identities = input.Workloads.Select(w => $"{input.Options.TrustDomain}/ns/{w.Namespace}/sa/{w.Spec.ServiceAccount}").ToHashSet(StringComparer.Ordinal);
        foreach (var policy in input.OfType<AuthorizationPolicy>())
        {
            var allow = policy.Spec.Action is null or "ALLOW";
            var rules = policy.Spec.Rules ?? [];
            for (var r = 0; r < rules.Count; r++)
            {
                var rule = rules[r];
                if (allow && rule.From is null or { Count: 0 } && rule.To is null or { Count: 0 } && rule.When is null or { Count: 0 })
                {
                    yield return AnalysisInput.Finding(DiagnosticSeverity.Warning, "WEFT0202", policy, $"spec.rules[{r}]",
                        "this ALLOW rule has no from, to or when, so it allows every request, from anyone — fix: name the sources it should allow");
                }

                for (var f = 0; f < (rule.From?.Count ?? 0); f++)
                {
                    var source = rule.From![f].Source;
                    var principals = source.Principals ?? [];
                    for (var p = 0; p < principals.Count; p++)
                    {
                        var principal = principals[p];
                        if (allow && principal == "*")
                        {
                            yield return AnalysisInput.Finding(DiagnosticSeverity.Warning, "WEFT0202", policy, $"spec.rules[{r}].from[{f}].source.principals[{p}]",
                                "principals: [\"*\"] allows any workload with a mesh identity — fix: list the service accounts that should call");
                        }
                        else if (!principal.Contains('*') && !identities.Contains(principal))
                        {
                            yield return AnalysisInput.Finding(DiagnosticSeverity.Warning, "WEFT0201", policy, $"spec.rules[{r}].from[{f}].source.principals[{p}]",
                                $"no workload has the identity {principal} — fix: check the namespace and service account (form: {input.Options.TrustDomain}/ns/NAMESPACE/sa/ACCOUNT)");
                        }
                    }

                    foreach (var (field, namespaces) in new[] { ("namespaces", source.Namespaces), ("notNamespaces", source.NotNamespaces) })
                    {
                        for (var n = 0; n < (namespaces?.Count ?? 0); n++)
                        {
                            if (!input.Namespaces.Any(ns => NamespaceMatches(namespaces![n], ns)))
                            {
                                yield return AnalysisInput.Finding(DiagnosticSeverity.Warning, "IST0101", policy, $"spec.rules[{r}].from[{f}].source.{field}[{n}]",
                                    $"Referenced namespace not found: \"{namespaces![n]}\" — fix: correct the name or pattern");
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Istio's namespace patterns: "*", a "*suffix", a "prefix*", or an exact name.</summary>
    private static bool NamespaceMatches(string pattern, string @namespace) => pattern switch
    {
        "*" => true,
        _ when pattern.StartsWith('*') => @namespace.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase),
        _ when pattern.EndsWith('*') => @namespace.StartsWith(pattern[..^1], StringComparison.OrdinalIgnoreCase),
        _ => string.Equals(pattern, @namespace, StringComparison.OrdinalIgnoreCase),
    };
}
