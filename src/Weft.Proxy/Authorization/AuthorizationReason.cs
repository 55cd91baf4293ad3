namespace Weft.Proxy.Authorization;

/// <summary>Why an <see cref="AuthorizationDecision"/> came out as it did (for x-weft-reason, logs and explain).</summary>
internal enum AuthorizationReason
{
    /// <summary>Allowed: no DENY matched and no ALLOW policy applies to the workload.</summary>
    NoAllowPolicies,

    /// <summary>Allowed: an ALLOW policy matched.</summary>
    AllowPolicyMatched,

    /// <summary>Denied: a DENY policy matched.</summary>
    DenyPolicyMatched,

    /// <summary>Denied: ALLOW policies apply and none of them matched.</summary>
    NoAllowPolicyMatched,
}
