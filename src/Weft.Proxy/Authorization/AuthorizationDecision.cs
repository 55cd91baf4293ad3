using Weft.Protocol.V1;

namespace Weft.Proxy.Authorization;

/// <summary>
/// The outcome of <see cref="AuthorizationEngine.Evaluate"/>.
/// <list type="bullet">
/// <item>Denied by a DENY policy: <see cref="Policy"/> is that policy, <see cref="Action"/> is Deny.</item>
/// <item>Allowed by an ALLOW policy: <see cref="Policy"/> is the first ALLOW policy that matched, Action Allow.</item>
/// <item>Denied because ALLOW policies exist and none matched: <see cref="Policy"/> is the first ALLOW
/// policy (in config order), Action Allow, so "authz-denied" can name a policy to look at.</item>
/// <item>Allowed because no ALLOW policy applies: <see cref="Policy"/> is null, Action Allow.</item>
/// </list>
/// <see cref="AuditPolicy"/> is the first AUDIT policy that matched, whatever the decision.
/// </summary>
internal readonly struct AuthorizationDecision(
    bool allowed,
    string? policy,
    AuthorizationAction action,
    AuthorizationReason reason,
    string? auditPolicy)
{
    public bool Allowed { get; } = allowed;

    /// <summary>"&lt;namespace&gt;/&lt;name&gt;" of the policy that decided, see the type's remarks.</summary>
    public string? Policy { get; } = policy;

    public AuthorizationAction Action { get; } = action;

    public AuthorizationReason Reason { get; } = reason;

    /// <summary>"&lt;namespace&gt;/&lt;name&gt;" of the first matching AUDIT policy, or null.</summary>
    public string? AuditPolicy { get; } = auditPolicy;

    public override string ToString() =>
        $"{(Allowed ? "allow" : "deny")} ({Reason}{(Policy is null ? "" : ", " + Policy)}{(AuditPolicy is null ? "" : ", audit " + AuditPolicy)})";
}
