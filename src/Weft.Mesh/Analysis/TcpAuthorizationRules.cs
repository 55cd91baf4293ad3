using System.Globalization;
using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Mesh.Compilation;

namespace Weft.Mesh.Analysis;

/// <summary>
/// AuthorizationPolicy rules that use HTTP-only attributes (methods, paths, hosts and their not*,
/// request.headers / request.auth conditions) on a TCP-only port of a workload they select. TCP
/// traffic has none of those attributes, so — Istio's L4 rule, which the proxy applies — a DENY
/// rule ignores them and denies all the TCP traffic its other conditions match (WEFT0205), and an
/// ALLOW rule never matches that traffic, which therefore stays denied unless another rule allows
/// it (WEFT0206).
/// </summary>
internal static class TcpAuthorizationRules
{
    public static IEnumerable<ConfigDiagnostic> Find(AnalysisInput input)
    {
        var meshed = input.Workloads.Where(w => w.Spec.Mesh).ToList();
        foreach (var policy in input.OfType<AuthorizationPolicy>())
        {
            var deny = policy.Spec.Action == "DENY";
            if (!deny && policy.Spec.Action is not (null or "ALLOW"))
            {
                continue; // AUDIT changes no verdict; CUSTOM is denied whole
            }

            var tcpPorts = Selected(policy, meshed, input.Options.RootNamespace)
                .SelectMany(w => w.Spec.Ports.Where(p => AppProtocols.Of(p.AppProtocol, p.Name) == AppProtocols.Tcp).Select(p => (Workload: w, p.Port)))
                .ToList();
            var rules = policy.Spec.Rules ?? [];
            for (var r = 0; r < rules.Count && tcpPorts.Count > 0; r++)
            {
                var rule = rules[r];
                var httpConditions = (rule.When ?? []).Any(c => c.Key.StartsWith("request.", StringComparison.Ordinal));
                var affected = tcpPorts.Where(t => AffectedOnTcp(rule, t.Port, deny, httpConditions)).ToList();
                if (affected.Count == 0)
                {
                    continue;
                }

                var where = string.Join(", ", affected.Select(a => $"{a.Workload.Namespace}/{a.Workload.Name}:{a.Port.ToString(CultureInfo.InvariantCulture)}"));
                var fields = string.Join(", ", HttpFields(rule));
                yield return deny
                    ? AnalysisInput.Finding(DiagnosticSeverity.Warning, "WEFT0205", policy, $"spec.rules[{r}]",
                        $"this DENY rule uses HTTP-only attributes ({fields}), which TCP traffic does not have: on TCP port {where} they are ignored and the rule denies all the TCP traffic its other conditions match — fix: limit the rule to HTTP ports with to.operation.ports, or drop the HTTP attributes")
                    : AnalysisInput.Finding(DiagnosticSeverity.Warning, "WEFT0206", policy, $"spec.rules[{r}]",
                        $"this ALLOW rule uses HTTP-only attributes ({fields}), which TCP traffic does not have: it never matches TCP port {where}, so that traffic is not allowed by it — fix: allow the TCP port with a rule without HTTP attributes (to.operation.ports)");
            }
        }
    }

    /// <summary>Whether HTTP-only attributes change the rule's verdict for TCP traffic to <paramref name="port"/>.</summary>
    private static bool AffectedOnTcp(AuthorizationRule rule, int port, bool deny, bool httpConditions)
    {
        var operations = rule.To?.Select(t => t.Operation).ToList() ?? [];
        var covering = operations.Where(o => Covers(o, port)).ToList();
        if (operations.Count > 0 && covering.Count == 0)
        {
            return false; // the rule is about other ports
        }

        return deny
            ? httpConditions || covering.Any(NeedsHttp) // one operation widened to all TCP traffic is enough
            : httpConditions || (covering.Count > 0 && covering.All(NeedsHttp)); // no operation can match TCP traffic
    }

    private static bool Covers(Operation operation, int port)
    {
        var text = port.ToString(CultureInfo.InvariantCulture);
        return (operation.Ports is null or { Count: 0 } || operation.Ports.Contains(text)) && operation.NotPorts?.Contains(text) != true;
    }

    private static bool NeedsHttp(Operation o) =>
        o.Methods is { Count: > 0 } || o.NotMethods is { Count: > 0 } || o.Paths is { Count: > 0 } || o.NotPaths is { Count: > 0 }
        || o.Hosts is { Count: > 0 } || o.NotHosts is { Count: > 0 };

    private static IEnumerable<string> HttpFields(AuthorizationRule rule)
    {
        var operations = rule.To?.Select(t => t.Operation).ToList() ?? [];
        foreach (var (name, used) in new (string, Func<Operation, bool>)[]
        {
            ("methods", o => o.Methods is { Count: > 0 } || o.NotMethods is { Count: > 0 }),
            ("paths", o => o.Paths is { Count: > 0 } || o.NotPaths is { Count: > 0 }),
            ("hosts", o => o.Hosts is { Count: > 0 } || o.NotHosts is { Count: > 0 }),
        })
        {
            if (operations.Any(used))
            {
                yield return name;
            }
        }

        foreach (var key in (rule.When ?? []).Select(c => c.Key).Where(k => k.StartsWith("request.", StringComparison.Ordinal)).Distinct())
        {
            yield return key;
        }
    }

    /// <summary>The meshed workloads a policy applies to, as the compiler selects them.</summary>
    private static IEnumerable<Workload> Selected(AuthorizationPolicy policy, List<Workload> meshed, string rootNamespace)
    {
        var selector = policy.Spec.Selector?.MatchLabels;
        return meshed.Where(w => (policy.Namespace == rootNamespace || w.Namespace == policy.Namespace)
            && (selector is null or { Count: 0 } || Labels.Match(selector, w.Metadata.Labels)));
    }
}
