using Weft.Protocol.V1;
using Weft.Proxy.Authorization;
using static Weft.Proxy.Tests.Authorization.Authz;

namespace Weft.Proxy.Tests.Authorization;

/// <summary>How policies combine: DENY before ALLOW, default allow, deny-all, AUDIT.</summary>
public sealed class AuthorizationEngineTests
{
    private static readonly AuthorizationRule AdminPaths = To(new AuthorizationOperation { Paths = { "/admin*" } });
    private static readonly AuthorizationRule FromCheckout = From(new AuthorizationSource { Principals = { Checkout } });

    [Fact]
    public void NoPoliciesAllows()
    {
        var decision = Evaluate(Request());

        Assert.True(decision.Allowed);
        Assert.Null(decision.Policy);
        Assert.Equal(AuthorizationReason.NoAllowPolicies, decision.Reason);
        Assert.Null(decision.AuditPolicy);
    }

    [Fact]
    public void DenyIsEvaluatedBeforeAllow()
    {
        var policies = new[] { Allow("shop/allow-checkout", FromCheckout), Deny("shop/deny-admin", AdminPaths) };

        var denied = Evaluate(Request(Checkout, path: "/admin/users"), policies);
        Assert.False(denied.Allowed);
        Assert.Equal("shop/deny-admin", denied.Policy);
        Assert.Equal(AuthorizationAction.Deny, denied.Action);
        Assert.Equal(AuthorizationReason.DenyPolicyMatched, denied.Reason);

        var allowed = Evaluate(Request(Checkout, path: "/orders"), policies);
        Assert.True(allowed.Allowed);
        Assert.Equal("shop/allow-checkout", allowed.Policy);
        Assert.Equal(AuthorizationAction.Allow, allowed.Action);
        Assert.Equal(AuthorizationReason.AllowPolicyMatched, allowed.Reason);
    }

    [Fact]
    public void FirstMatchingDenyIsReported()
    {
        var decision = Evaluate(
            Request(path: "/admin"),
            Deny("a/not-matching", To(new AuthorizationOperation { Paths = { "/other" } })),
            Deny("a/first", AdminPaths),
            Deny("a/second", AnyRequest()));

        Assert.Equal("a/first", decision.Policy);
    }

    [Fact]
    public void OnlyDenyPoliciesThatDoNotMatchAllow()
    {
        var decision = Evaluate(Request(path: "/orders"), Deny("shop/deny-admin", AdminPaths));

        Assert.True(decision.Allowed);
        Assert.Null(decision.Policy);
        Assert.Equal(AuthorizationReason.NoAllowPolicies, decision.Reason);
    }

    [Fact]
    public void AllowPoliciesWithNoneMatchingDenyNamingTheFirstAllowPolicy()
    {
        var decision = Evaluate(
            Request("cluster.local/ns/shop/sa/intruder"),
            Allow("shop/allow-checkout", FromCheckout),
            Allow("shop/allow-frontend", From(new AuthorizationSource { Principals = { "cluster.local/ns/web/sa/frontend" } })));

        Assert.False(decision.Allowed);
        Assert.Equal("shop/allow-checkout", decision.Policy);
        Assert.Equal(AuthorizationAction.Allow, decision.Action);
        Assert.Equal(AuthorizationReason.NoAllowPolicyMatched, decision.Reason);
    }

    [Fact]
    public void AnyMatchingAllowPolicyAllows()
    {
        var decision = Evaluate(
            Request("cluster.local/ns/web/sa/frontend"),
            Allow("shop/allow-checkout", FromCheckout),
            Allow("shop/allow-frontend", From(new AuthorizationSource { Principals = { "cluster.local/ns/web/sa/frontend" } })));

        Assert.True(decision.Allowed);
        Assert.Equal("shop/allow-frontend", decision.Policy);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(Checkout)]
    public void EmptyAllowPolicyDeniesEverything(string? principal)
    {
        var decision = Evaluate(Request(principal), Allow("shop/deny-all"));

        Assert.False(decision.Allowed);
        Assert.Equal("shop/deny-all", decision.Policy);
        Assert.Equal(AuthorizationReason.NoAllowPolicyMatched, decision.Reason);
    }

    [Fact]
    public void EmptyDenyPolicyDeniesNothing()
    {
        Assert.True(Evaluate(Request(), Deny("shop/empty")).Allowed);
    }

    [Fact]
    public void EmptyRuleMatchesEverything()
    {
        Assert.True(Evaluate(Request(), Allow("shop/allow-all", AnyRequest())).Allowed);
        Assert.False(Evaluate(Request(), Deny("shop/deny-all", AnyRequest())).Allowed);
    }

    [Fact]
    public void AnyRuleOfAPolicyMatches()
    {
        var policy = Allow("shop/p", FromCheckout, AdminPaths);

        Assert.True(Evaluate(Request(Checkout, path: "/x"), policy).Allowed);
        Assert.True(Evaluate(Request(null, path: "/admin"), policy).Allowed);
        Assert.False(Evaluate(Request(null, path: "/x"), policy).Allowed);
    }

    [Fact]
    public void AuditNeverBlocksButIsReported()
    {
        var audit = Audit("shop/audit-admin", AdminPaths);

        var alone = Evaluate(Request(path: "/admin"), audit);
        Assert.True(alone.Allowed);
        Assert.Equal("shop/audit-admin", alone.AuditPolicy);
        Assert.Equal(AuthorizationReason.NoAllowPolicies, alone.Reason);

        var notMatched = Evaluate(Request(path: "/orders"), audit);
        Assert.True(notMatched.Allowed);
        Assert.Null(notMatched.AuditPolicy);

        var withDeny = Evaluate(Request(path: "/admin"), audit, Deny("shop/deny-admin", AdminPaths));
        Assert.False(withDeny.Allowed);
        Assert.Equal("shop/deny-admin", withDeny.Policy);
        Assert.Equal("shop/audit-admin", withDeny.AuditPolicy);

        var withAllow = Evaluate(Request(Checkout, path: "/admin"), audit, Allow("shop/allow-checkout", FromCheckout));
        Assert.True(withAllow.Allowed);
        Assert.Equal("shop/allow-checkout", withAllow.Policy);
        Assert.Equal("shop/audit-admin", withAllow.AuditPolicy);
    }

    [Fact]
    public void EmptyAuditPolicyAuditsNothing()
    {
        var decision = Evaluate(Request(), Audit("shop/audit"));

        Assert.True(decision.Allowed);
        Assert.Null(decision.AuditPolicy);
    }

    [Fact]
    public void InvalidCidrIsAConfigError()
    {
        Assert.Throws<ProxyConfigException>(() =>
            AuthorizationEngine.Build([Allow("a/p", When(Condition("source.ip", "10.0.0.0/99", null)))]));
    }
}
