using Weft.Protocol.V1;
using Weft.Proxy.Authorization;
using static Weft.Proxy.Tests.Authorization.Authz;

namespace Weft.Proxy.Tests.Authorization;

/// <summary>What `weft explain` shows per policy: the rule that matched, or the first field of each rule that did not.</summary>
public sealed class PolicyTraceTests
{
    public static TheoryData<AuthorizationRule, string?, string> Rules => new()
    {
        // rule, request principal, expected mismatch ("" = matches)
        { From(new AuthorizationSource { Principals = { Checkout } }), Checkout, "" },
        { From(new AuthorizationSource { Principals = { Checkout } }), "cluster.local/ns/shop/sa/fraud", "from: source 0 by principals (cluster.local/ns/shop/sa/fraud)" },
        { From(new AuthorizationSource { Principals = { Checkout } }), null, "from: source 0 by principals (the peer has no mTLS identity)" },
        { From(new AuthorizationSource { Namespaces = { "payments" } }), Checkout, "from: source 0 by namespaces (shop)" },
        { From(new AuthorizationSource { RequestPrincipals = { "*" } }), Checkout, "from: source 0 by requestPrincipals (no valid JWT)" },
        { From(new AuthorizationSource { IpBlocks = { "10.0.0.0/8" } }), Checkout, "from: source 0 by ipBlocks (127.0.0.1)" },
        { To(new AuthorizationOperation { Methods = { "POST" } }), Checkout, "to: operation 0 by methods (GET)" },
        { To(new AuthorizationOperation { Paths = { "/admin/*" } }), Checkout, "to: operation 0 by paths (/charge)" },
        { To(new AuthorizationOperation { Ports = { 8080 } }), Checkout, "to: operation 0 by ports (9080)" },
        { When(Condition("request.headers[x-token]", "secret", null)), Checkout, "when[0] is not met" },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void Each_rule_names_its_first_failing_field(AuthorizationRule rule, string? principal, string expected)
    {
        var engine = AuthorizationEngine.Build([Allow("payments/p", rule)]);
        var trace = Assert.Single(engine.Trace(Request(principal, path: "/charge", ip: "127.0.0.1")));

        Assert.Equal("payments/p", trace.Policy);
        if (expected.Length == 0)
        {
            Assert.Equal(0, trace.MatchedRule);
            return;
        }

        Assert.Null(trace.MatchedRule);
        Assert.Equal($"rule 0: {expected}", Assert.Single(trace.Mismatches));
    }

    [Fact]
    public void Policies_are_traced_in_istios_order_and_agree_with_the_decision()
    {
        var engine = AuthorizationEngine.Build(
        [
            Audit("payments/audit", AnyRequest()),
            Allow("payments/allow", From(new AuthorizationSource { Principals = { Checkout } })),
            Deny("payments/deny", To(new AuthorizationOperation { Paths = { "/admin/*" } })),
        ]);
        var request = Request(Checkout, path: "/admin/x");

        var traces = engine.Trace(request);

        Assert.Equal(["payments/deny", "payments/allow", "payments/audit"], traces.Select(t => t.Policy));
        Assert.All(traces, t => Assert.True(t.Matched));
        Assert.Equal("payments/deny", engine.Evaluate(request).Policy);
    }

    [Fact]
    public void A_policy_without_rules_says_it_matches_nothing()
    {
        var trace = Assert.Single(AuthorizationEngine.Build([Allow("payments/empty")]).Trace(Request(Checkout)));
        Assert.Equal(["no rules: matches nothing"], trace.Mismatches);
    }
}
