using Weft.Config.Model;
using Weft.Mesh.Model;
using Weft.Protocol.V1;
using ConfigPolicy = Weft.Config.Model.AuthorizationPolicy;
using ProtoPolicy = Weft.Protocol.V1.AuthorizationPolicy;

namespace Weft.Mesh.Compilation;

/// <summary>
/// Selects the AuthorizationPolicies that apply to a workload (mesh-wide in the root namespace,
/// namespace-wide, or by selector) and compiles them for the proxy.
/// </summary>
internal sealed class AuthorizationCompiler
{
    private readonly MeshSnapshot _snapshot;
    private readonly List<(ConfigPolicy Source, ProtoPolicy Compiled)> _policies = [];

    public AuthorizationCompiler(MeshSnapshot snapshot, CompileResult result)
    {
        _snapshot = snapshot;
        foreach (var policy in snapshot.OfType<ConfigPolicy>().OrderBy(p => p.Namespace, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal))
        {
            if (policy.Spec.Action == "CUSTOM")
            {
                // Istio denies when an ext-authz provider is unavailable; Weft has none, so the same holds.
                result.Warning(policy, "spec.action", "WEFT0005", "action CUSTOM (external authorization) is not implemented; requests it selects are denied");
                var denyAll = new ProtoPolicy { Name = $"{policy.Namespace}/{policy.Name}", Action = AuthorizationAction.Deny };
                denyAll.Rules.Add(new Protocol.V1.AuthorizationRule());
                _policies.Add((policy, denyAll));
                continue;
            }

            _policies.Add((policy, Compile(policy)));
        }
    }

    public IEnumerable<ProtoPolicy> For(WorkloadInstance instance)
    {
        foreach (var (source, compiled) in _policies)
        {
            var selector = source.Spec.Selector?.MatchLabels;
            var applies = source.Namespace == _snapshot.Options.RootNamespace
                ? selector is null or { Count: 0 } || Labels.Match(selector, instance.Labels)
                : source.Namespace == instance.Namespace && (selector is null or { Count: 0 } || Labels.Match(selector, instance.Labels));
            if (applies)
            {
                yield return compiled;
            }
        }
    }

    private static ProtoPolicy Compile(ConfigPolicy policy)
    {
        var compiled = new ProtoPolicy
        {
            Name = $"{policy.Namespace}/{policy.Name}",
            Action = policy.Spec.Action switch
            {
                "DENY" => AuthorizationAction.Deny,
                "AUDIT" => AuthorizationAction.Audit,
                _ => AuthorizationAction.Allow,
            },
        };
        foreach (var rule in policy.Spec.Rules ?? [])
        {
            var compiledRule = new Protocol.V1.AuthorizationRule();
            foreach (var from in rule.From ?? [])
            {
                var source = new AuthorizationSource();
                source.Principals.AddRange(from.Source.Principals ?? []);
                source.NotPrincipals.AddRange(from.Source.NotPrincipals ?? []);
                source.Namespaces.AddRange(from.Source.Namespaces ?? []);
                source.NotNamespaces.AddRange(from.Source.NotNamespaces ?? []);
                source.RequestPrincipals.AddRange(from.Source.RequestPrincipals ?? []);
                source.NotRequestPrincipals.AddRange(from.Source.NotRequestPrincipals ?? []);
                source.IpBlocks.AddRange(from.Source.IpBlocks ?? []);
                source.NotIpBlocks.AddRange(from.Source.NotIpBlocks ?? []);
                source.RemoteIpBlocks.AddRange(from.Source.RemoteIpBlocks ?? []);
                source.NotRemoteIpBlocks.AddRange(from.Source.NotRemoteIpBlocks ?? []);
                compiledRule.From.Add(source);
            }

            foreach (var to in rule.To ?? [])
            {
                var operation = new AuthorizationOperation();
                operation.Methods.AddRange(to.Operation.Methods ?? []);
                operation.NotMethods.AddRange(to.Operation.NotMethods ?? []);
                operation.Paths.AddRange(to.Operation.Paths ?? []);
                operation.NotPaths.AddRange(to.Operation.NotPaths ?? []);
                operation.Hosts.AddRange(to.Operation.Hosts ?? []);
                operation.NotHosts.AddRange(to.Operation.NotHosts ?? []);
                operation.Ports.AddRange(Ports(to.Operation.Ports));
                operation.NotPorts.AddRange(Ports(to.Operation.NotPorts));
                compiledRule.To.Add(operation);
            }

            foreach (var condition in rule.When ?? [])
            {
                var compiledCondition = new AuthorizationCondition { Key = condition.Key };
                compiledCondition.Values.AddRange(condition.Values ?? []);
                compiledCondition.NotValues.AddRange(condition.NotValues ?? []);
                compiledRule.When.Add(compiledCondition);
            }

            compiled.Rules.Add(compiledRule);
        }

        return compiled;
    }

    /// <summary>The port numbers of a rule (the loader refuses any that is not one; `weft analyze` still compiles such a policy).</summary>
    private static IEnumerable<uint> Ports(List<string>? ports) =>
        (ports ?? []).Select(p => uint.TryParse(p, out var port) ? port : 0).Where(p => p is > 0 and <= 65535);
}
