using Weft.Protocol.V1;

namespace Weft.Proxy.Authorization;

/// <summary>
/// The authorization policies that apply to this workload, evaluated as Istio does:
/// AUDIT policies are evaluated and reported but never decide; any matching DENY policy denies;
/// with no ALLOW policy the request is allowed; otherwise a matching ALLOW policy allows and no match
/// denies. Immutable, built per config snapshot; <see cref="Evaluate"/> does not allocate.
/// </summary>
internal sealed class AuthorizationEngine
{
    private readonly CompiledAuthorizationPolicy[] _deny;
    private readonly CompiledAuthorizationPolicy[] _allow;
    private readonly CompiledAuthorizationPolicy[] _audit;

    private AuthorizationEngine(
        CompiledAuthorizationPolicy[] deny,
        CompiledAuthorizationPolicy[] allow,
        CompiledAuthorizationPolicy[] audit)
    {
        _deny = deny;
        _allow = allow;
        _audit = audit;
    }

    public static AuthorizationEngine Empty { get; } = new([], [], []);

    public IReadOnlyList<CompiledAuthorizationPolicy> DenyPolicies => _deny;

    public IReadOnlyList<CompiledAuthorizationPolicy> AllowPolicies => _allow;

    public IReadOnlyList<CompiledAuthorizationPolicy> AuditPolicies => _audit;

    /// <exception cref="ProxyConfigException">A policy cannot be compiled (invalid CIDR or port).</exception>
    public static AuthorizationEngine Build(IEnumerable<AuthorizationPolicy> policies)
    {
        ArgumentNullException.ThrowIfNull(policies);

        var deny = new List<CompiledAuthorizationPolicy>();
        var allow = new List<CompiledAuthorizationPolicy>();
        var audit = new List<CompiledAuthorizationPolicy>();
        foreach (var policy in policies)
        {
            var compiled = new CompiledAuthorizationPolicy(policy);
            switch (policy.Action)
            {
                case AuthorizationAction.Allow:
                    allow.Add(compiled);
                    break;
                case AuthorizationAction.Deny:
                    deny.Add(compiled);
                    break;
                case AuthorizationAction.Audit:
                    audit.Add(compiled);
                    break;
                default:
                    throw new ProxyConfigException($"Authorization policy '{policy.Name}': unknown action {policy.Action}.");
            }
        }

        return new AuthorizationEngine([.. deny], [.. allow], [.. audit]);
    }

    public AuthorizationDecision Evaluate(in AuthorizationRequest request)
    {
        var auditPolicy = FirstMatch(_audit, request)?.Name;

        var deny = FirstMatch(_deny, request);
        if (deny is not null)
        {
            return new AuthorizationDecision(false, deny.Name, AuthorizationAction.Deny, AuthorizationReason.DenyPolicyMatched, auditPolicy);
        }

        var allowPolicies = _allow;
        if (allowPolicies.Length == 0)
        {
            return new AuthorizationDecision(true, null, AuthorizationAction.Allow, AuthorizationReason.NoAllowPolicies, auditPolicy);
        }

        var allow = FirstMatch(allowPolicies, request);
        return allow is not null
            ? new AuthorizationDecision(true, allow.Name, AuthorizationAction.Allow, AuthorizationReason.AllowPolicyMatched, auditPolicy)
            : new AuthorizationDecision(false, allowPolicies[0].Name, AuthorizationAction.Allow, AuthorizationReason.NoAllowPolicyMatched, auditPolicy);
    }

    /// <summary>Every policy in Istio's order (DENY, ALLOW, AUDIT) with the rule that matched or why none did. Allocates: for explanations only.</summary>
    public List<PolicyTrace> Trace(in AuthorizationRequest request)
    {
        var traces = new List<PolicyTrace>(_deny.Length + _allow.Length + _audit.Length);
        foreach (var group in (CompiledAuthorizationPolicy[][])[_deny, _allow, _audit])
        {
            foreach (var policy in group)
            {
                traces.Add(policy.Trace(request));
            }
        }

        return traces;
    }

    private static CompiledAuthorizationPolicy? FirstMatch(CompiledAuthorizationPolicy[] policies, in AuthorizationRequest request)
    {
        for (var i = 0; i < policies.Length; i++)
        {
            if (policies[i].IsMatch(request))
            {
                return policies[i];
            }
        }

        return null;
    }
}
