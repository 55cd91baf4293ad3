using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Mesh.Compilation;
using Weft.Mesh.Model;

namespace Weft.Mesh.Analysis;

/// <summary>
/// `weft analyze`: what is wrong with a set of manifests before (or while) they are applied —
/// schema errors and unsupported fields from the loader, broken references from the compiler, and
/// the mistakes that compile but bite: policies that select nothing, rules that can never match,
/// retries that cannot fit in their timeout, permissive ALLOW rules, identities no workload has.
/// Istio's analyzer code is used where Istio has the same check; Weft's own are WEFT02xx.
/// </summary>
public static class MeshAnalyzer
{
    public static List<ConfigDiagnostic> Analyze(LoadResult loaded, MeshOptions options)
    {
        var findings = new List<ConfigDiagnostic>(loaded.Diagnostics);
        if (!loaded.HasErrors)
        {
            var instances = loaded.Resources.OfType<Workload>().Select(w => new WorkloadInstance
            {
                Workload = w,
                Name = w.Name,
                Endpoints = w.Spec.Ports.ToDictionary(p => p.Port, p => $"192.0.2.1:{p.Port}"),
                AppAddresses = w.Spec.Ports.ToDictionary(p => p.Port, p => $"192.0.2.1:{p.Port}"),
            }).ToList();
            findings.AddRange(MeshCompiler.Compile(new MeshSnapshot(loaded.Resources, instances, options)).Diagnostics);
        }

        var workloads = loaded.Resources.OfType<Workload>().ToList();
        findings.AddRange(SelectorsWithoutWorkloads(loaded.Resources, workloads, options));
        findings.AddRange(AuthorizationMistakes(loaded.Resources.OfType<AuthorizationPolicy>(), workloads, options));
        findings.AddRange(IneffectiveMatches(loaded.Resources.OfType<VirtualService>()));
        findings.AddRange(RetriesBeyondTimeout(loaded.Resources.OfType<VirtualService>()));
        findings.AddRange(UnenforcedRequestsPerConnection(loaded.Resources.OfType<DestinationRule>()));
        findings.AddRange(workloads.Where(w => !w.Spec.Mesh).Select(w => Finding(DiagnosticSeverity.Warning, "WEFT0204", w, "spec.mesh",
            "this workload has no sidecar: its traffic is neither encrypted nor governed by the mesh — fix: remove `mesh: false`")));
        return findings.Distinct().OrderBy(f => f.Severity).ThenBy(f => f.Location.File, StringComparer.Ordinal).ThenBy(f => f.Location.Line).ToList();
    }

    private static ConfigDiagnostic Finding(DiagnosticSeverity severity, string code, Resource resource, string field, string message) =>
        new(severity, code, resource.Locate(field), resource.Reference, field, message);

    /// <summary>IST0127 NoMatchingWorkloadsFound: a selector that picks no workload does nothing.</summary>
    private static IEnumerable<ConfigDiagnostic> SelectorsWithoutWorkloads(IReadOnlyList<Resource> resources, List<Workload> workloads, MeshOptions options)
    {
        foreach (var resource in resources)
        {
            var selector = resource switch
            {
                AuthorizationPolicy p => p.Spec.Selector?.MatchLabels,
                PeerAuthentication p => p.Spec.Selector?.MatchLabels,
                RequestAuthentication p => p.Spec.Selector?.MatchLabels,
                _ => null,
            };
            if (selector is not { Count: > 0 })
            {
                continue;
            }

            var scope = resource.Namespace == options.RootNamespace ? workloads : workloads.Where(w => w.Namespace == resource.Namespace);
            if (!scope.Any(w => Labels.Match(selector, w.Metadata.Labels)))
            {
                yield return Finding(DiagnosticSeverity.Warning, "IST0127", resource, "spec.selector",
                    $"No matching workloads for this resource with the following labels: {string.Join(",", selector.Select(l => $"{l.Key}={l.Value}"))} — fix: correct the labels or remove the resource");
            }
        }
    }

    private static IEnumerable<ConfigDiagnostic> AuthorizationMistakes(IEnumerable<AuthorizationPolicy> policies, List<Workload> workloads, MeshOptions options)
    {
        var identities = workloads.Select(w => $"{options.TrustDomain}/ns/{w.Namespace}/sa/{w.Spec.ServiceAccount}").ToHashSet(StringComparer.Ordinal);
        foreach (var policy in policies)
        {
            var rules = policy.Spec.Rules ?? [];
            for (var r = 0; r < rules.Count; r++)
            {
                var rule = rules[r];
                var allow = policy.Spec.Action is null or "ALLOW";
                if (allow && rule.From is null or { Count: 0 } && rule.To is null or { Count: 0 } && rule.When is null or { Count: 0 })
                {
                    yield return Finding(DiagnosticSeverity.Warning, "WEFT0202", policy, $"spec.rules[{r}]",
                        "this ALLOW rule has no from, to or when, so it allows every request, from anyone — fix: name the sources it should allow");
                }

                for (var f = 0; f < (rule.From?.Count ?? 0); f++)
                {
                    var principals = rule.From![f].Source.Principals ?? [];
                    for (var p = 0; p < principals.Count; p++)
                    {
                        var principal = principals[p];
                        if (allow && principal == "*")
                        {
                            yield return Finding(DiagnosticSeverity.Warning, "WEFT0202", policy, $"spec.rules[{r}].from[{f}].source.principals[{p}]",
                                "principals: [\"*\"] allows any workload with a mesh identity — fix: list the service accounts that should call");
                        }
                        else if (!principal.Contains('*') && !identities.Contains(principal))
                        {
                            yield return Finding(DiagnosticSeverity.Warning, "WEFT0201", policy, $"spec.rules[{r}].from[{f}].source.principals[{p}]",
                                $"no workload has the identity {principal} — fix: check the namespace and service account (form: {options.TrustDomain}/ns/NAMESPACE/sa/ACCOUNT)");
                        }
                    }
                }
            }
        }
    }

    /// <summary>IST0131 VirtualServiceIneffectiveMatch: a rule after a catch-all, or repeating an earlier match, is never used.</summary>
    private static IEnumerable<ConfigDiagnostic> IneffectiveMatches(IEnumerable<VirtualService> virtualServices)
    {
        foreach (var virtualService in virtualServices)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var catchAll = -1;
            for (var r = 0; r < virtualService.Spec.Http.Count; r++)
            {
                var matches = virtualService.Spec.Http[r].Match;
                if (catchAll >= 0)
                {
                    yield return Finding(DiagnosticSeverity.Warning, "IST0131", virtualService, $"spec.http[{r}]",
                        $"VirtualService rule #{r} is never used: rule #{catchAll} before it matches every request — fix: move the catch-all rule last");
                    continue;
                }

                if (matches is null or { Count: 0 })
                {
                    catchAll = r;
                    continue;
                }

                for (var m = 0; m < matches.Count; m++)
                {
                    var key = System.Text.Json.JsonSerializer.Serialize(matches[m]);
                    if (!seen.Add(key))
                    {
                        yield return Finding(DiagnosticSeverity.Warning, "IST0131", virtualService, $"spec.http[{r}].match[{m}]",
                            $"VirtualService rule #{r} match #{m} is not used: an earlier rule has the same match — fix: remove or change it");
                    }
                }
            }
        }
    }

    /// <summary>WEFT0203: every attempt gets perTryTimeout, but the route timeout ends them all first.</summary>
    private static IEnumerable<ConfigDiagnostic> RetriesBeyondTimeout(IEnumerable<VirtualService> virtualServices)
    {
        foreach (var virtualService in virtualServices)
        {
            for (var r = 0; r < virtualService.Spec.Http.Count; r++)
            {
                var http = virtualService.Spec.Http[r];
                if (http is { Timeout: { } timeout, Retries: { Attempts: > 0, PerTryTimeout: { } perTry } retries }
                    && perTry.Value * (retries.Attempts + 1) > timeout.Value)
                {
                    yield return Finding(DiagnosticSeverity.Warning, "WEFT0203", virtualService, $"spec.http[{r}].retries",
                        $"{retries.Attempts + 1} attempts × perTryTimeout {perTry} exceed the route timeout {timeout}: the last attempts can never run out their time — fix: raise timeout or lower attempts/perTryTimeout");
                }
            }
        }
    }

    /// <summary>WEFT0205: Weft's connection pools enforce maxRequestsPerConnection 1 (keep-alive off) or unlimited only.</summary>
    private static IEnumerable<ConfigDiagnostic> UnenforcedRequestsPerConnection(IEnumerable<DestinationRule> rules)
    {
        foreach (var rule in rules)
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
                    yield return Finding(DiagnosticSeverity.Warning, "WEFT0205", rule, $"{field}.connectionPool.http.maxRequestsPerConnection",
                        $"maxRequestsPerConnection {limit} is not enforced: Weft supports 1 (a connection per request) or 0 (unlimited); connections are reused without a request limit — fix: use 1, or bound connections by tcp.maxConnectionDuration");
                }
            }
        }
    }
}
