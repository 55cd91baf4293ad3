using Weft.Protocol.V1;
using static Weft.Proxy.Tests.Authorization.Authz;

namespace Weft.Proxy.Tests.Authorization;

/// <summary>
/// Istio's rule for TCP connections, which have no HTTP attributes: an ALLOW rule that needs one
/// never matches; a DENY rule ignores them and so denies the connection.
/// </summary>
public sealed class TcpAuthorizationTests
{
    public static TheoryData<string, AuthorizationRule, bool> Cases => new()
    {
        // ALLOW with only L4 fields works at L4
        { "allow principal", From(new AuthorizationSource { Principals = { Checkout } }), true },
        { "allow port", To(new AuthorizationOperation { Ports = { 7000 } }), true },
        // ALLOW that needs an HTTP attribute never matches a TCP connection
        { "allow method", To(new AuthorizationOperation { Methods = { "GET" } }), false },
        { "allow path", To(new AuthorizationOperation { Paths = { "/*" } }), false },
        { "allow host", To(new AuthorizationOperation { Hosts = { "*" } }), false },
        { "allow header", When(Condition("request.headers[x-token]", "secret", null)), false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void An_allow_rule_matches_tcp_only_through_l4_attributes(string name, AuthorizationRule rule, bool allowed)
    {
        var decision = Evaluate(Tcp(Checkout, 7000), Allow($"shop/{name.Replace(' ', '-')}", rule));
        Assert.Equal(allowed, decision.Allowed);
    }

    [Theory]
    [InlineData(7000, false)] // methods ignored at L4: the DENY covers every connection to 7000
    [InlineData(7001, true)] // …but still only on the ports it names
    public void A_deny_rule_with_http_fields_denies_tcp_on_its_ports(int port, bool allowed)
    {
        var deny = Deny("shop/no-delete", To(new AuthorizationOperation { Methods = { "DELETE" }, Ports = { 7000 } }));

        Assert.Equal(allowed, Evaluate(Tcp(Checkout, port), deny).Allowed);
        Assert.True(Evaluate(Request(Checkout, method: "GET", port: 7000), deny).Allowed); // HTTP GET is fine
    }

    [Fact]
    public void A_deny_header_condition_denies_tcp()
    {
        var deny = Deny("shop/no-debug", When(Condition("request.headers[x-debug]", "on", null)));

        Assert.False(Evaluate(Tcp(Checkout, 7000), deny).Allowed);
        Assert.True(Evaluate(Request(Checkout, port: 7000), deny).Allowed);
    }

    private static Weft.Proxy.Authorization.AuthorizationRequest Tcp(string principal, int port) => Request(principal, method: "", path: "", host: "", port: port) with { IsTcp = true };
}
