using Weft.Protocol.V1;

namespace Weft.Proxy.Authorization;

/// <summary>One AuthorizationPolicy: it matches when any of its rules does; with no rules it matches nothing.</summary>
internal sealed class CompiledAuthorizationPolicy
{
    private readonly RuleMatcher[] _rules;

    public CompiledAuthorizationPolicy(AuthorizationPolicy policy)
    {
        Name = policy.Name;
        Action = policy.Action;
        var context = $"Authorization policy '{policy.Name}'";
        _rules = new RuleMatcher[policy.Rules.Count];
        for (var i = 0; i < _rules.Length; i++)
        {
            _rules[i] = new RuleMatcher(policy.Rules[i], policy.Action, $"{context} rule {i}");
        }
    }

    /// <summary>"&lt;namespace&gt;/&lt;name&gt;"</summary>
    public string Name { get; }

    public AuthorizationAction Action { get; }

    public bool IsMatch(in AuthorizationRequest request)
    {
        var rules = _rules;
        for (var i = 0; i < rules.Length; i++)
        {
            if (rules[i].IsMatch(request))
            {
                return true;
            }
        }

        return false;
    }

    public override string ToString() => $"{Action} {Name}";
}
