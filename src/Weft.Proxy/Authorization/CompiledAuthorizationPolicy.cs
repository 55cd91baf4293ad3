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

    /// <summary>Which rule matched, or why each did not: the explainer's view of this policy.</summary>
    public PolicyTrace Trace(in AuthorizationRequest request)
    {
        var mismatches = new List<string>(_rules.Length);
        for (var i = 0; i < _rules.Length; i++)
        {
            if (_rules[i].Mismatch(request) is not { } why)
            {
                return new PolicyTrace(Name, Action, i, mismatches);
            }

            mismatches.Add($"rule {i}: {why}");
        }

        return new PolicyTrace(Name, Action, null, _rules.Length == 0 ? ["no rules: matches nothing"] : mismatches);
    }

    public override string ToString() => $"{Action} {Name}";
}

/// <summary>One policy as the explainer evaluated it: the rule that matched, or why every rule did not.</summary>
public sealed record PolicyTrace(string Policy, AuthorizationAction Action, int? MatchedRule, IReadOnlyList<string> Mismatches)
{
    public bool Matched => MatchedRule is not null;
}
