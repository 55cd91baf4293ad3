using Weft.Mesh.Model;
using Weft.Protocol.V1;
using ConfigJwtRule = Weft.Config.Model.JwtRule;
using RequestAuthentication = Weft.Config.Model.RequestAuthentication;

namespace Weft.Mesh.Compilation;

/// <summary>
/// Selects the RequestAuthentications that apply to a workload — mesh-wide in the root namespace,
/// namespace-wide, or by selector; as in Istio, every one that applies contributes its jwtRules —
/// and compiles them for the proxy.
/// </summary>
internal sealed class RequestAuthenticationCompiler
{
    private readonly MeshSnapshot _snapshot;
    private readonly List<(RequestAuthentication Source, JwtRule[] Rules)> _policies = [];

    public RequestAuthenticationCompiler(MeshSnapshot snapshot)
    {
        _snapshot = snapshot;
        foreach (var policy in snapshot.OfType<RequestAuthentication>().OrderBy(p => p.Namespace, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal))
        {
            _policies.Add((policy, [.. policy.Spec.JwtRules.Select(rule => Compile(policy, rule))]));
        }
    }

    public IEnumerable<JwtRule> For(WorkloadInstance instance)
    {
        foreach (var (source, rules) in _policies)
        {
            var selector = source.Spec.Selector?.MatchLabels;
            var inScope = source.Namespace == _snapshot.Options.RootNamespace || source.Namespace == instance.Namespace;
            if (inScope && (selector is null or { Count: 0 } || Labels.Match(selector, instance.Labels)))
            {
                foreach (var rule in rules)
                {
                    yield return rule;
                }
            }
        }
    }

    private static JwtRule Compile(RequestAuthentication policy, ConfigJwtRule rule)
    {
        var compiled = new JwtRule
        {
            Source = $"{policy.Namespace}/{policy.Name}",
            Issuer = rule.Issuer,
            Jwks = rule.Jwks ?? "",
            JwksUri = rule.Jwks is null ? rule.JwksUri ?? "" : "",
            ForwardOriginalToken = rule.ForwardOriginalToken ?? false,
            OutputPayloadToHeader = rule.OutputPayloadToHeader ?? "",
        };
        compiled.Audiences.AddRange(rule.Audiences ?? []);
        compiled.FromHeaders.AddRange((rule.FromHeaders ?? []).Select(h => new JwtHeader { Name = h.Name.ToLowerInvariant(), Prefix = h.Prefix ?? "" }));
        compiled.FromParams.AddRange(rule.FromParams ?? []);
        compiled.OutputClaimToHeaders.AddRange((rule.OutputClaimToHeaders ?? []).Select(c => new JwtClaimToHeader { Header = c.Header, Claim = c.Claim }));
        return compiled;
    }
}
