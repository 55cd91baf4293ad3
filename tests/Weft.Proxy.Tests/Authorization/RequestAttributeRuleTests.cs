using System.Text.Json;
using Weft.Protocol.V1;
using Weft.Proxy.Authentication;
using static Weft.Proxy.Tests.Authorization.Authz;

namespace Weft.Proxy.Tests.Authorization;

/// <summary>requestPrincipals, request.auth.* conditions, ipBlocks and remoteIpBlocks, with Istio's semantics.</summary>
public sealed class RequestAttributeRuleTests
{
    private const string Claims = """{"iss":"https://issuer.test","sub":"alice","azp":"web-app","groups":["admins","dev"],"org":{"team":"payments"},"level":3}""";

    private static RequestIdentity Alice() =>
        new("https://issuer.test/alice", ["payments", "billing"], "web-app", JsonDocument.Parse(Claims).RootElement.Clone());

    private static Weft.Proxy.Authorization.AuthorizationRequest WithJwt(RequestIdentity? identity, bool tcp = false) =>
        Request(Checkout) with { RequestIdentity = identity, IsTcp = tcp };

    private static bool Allowed(AuthorizationRule rule, Weft.Proxy.Authorization.AuthorizationRequest request, AuthorizationAction action = AuthorizationAction.Allow) =>
        Evaluate(request, Policy("shop/p", action, rule)).Allowed;

    [Theory]
    [InlineData("https://issuer.test/alice", true, false)]
    [InlineData("https://issuer.test/*", true, false)]
    [InlineData("*", true, false)] // any validated token
    [InlineData("*", false, true)] // … and none without one
    [InlineData("https://issuer.test/bob", true, true)]
    [InlineData("https://other.test/alice", true, true)]
    public void Request_principals(string pattern, bool withToken, bool denied)
    {
        var rule = From(new AuthorizationSource { RequestPrincipals = { pattern } });
        Assert.Equal(!denied, Allowed(rule, WithJwt(withToken ? Alice() : null)));
    }

    [Theory]
    [InlineData("*", true, false)] // notRequestPrincipals: ["*"] admits exactly the requests without a token
    [InlineData("*", false, true)]
    [InlineData("https://issuer.test/alice", true, false)]
    [InlineData("https://issuer.test/bob", true, true)]
    public void Not_request_principals(string pattern, bool withToken, bool expected)
    {
        var rule = From(new AuthorizationSource { NotRequestPrincipals = { pattern } });
        Assert.Equal(expected, Allowed(rule, WithJwt(withToken ? Alice() : null)));
    }

    [Theory]
    [InlineData("request.auth.principal", "https://issuer.test/alice", null, true)]
    [InlineData("request.auth.audiences", "billing", null, true)]
    [InlineData("request.auth.audiences", "other", null, false)]
    [InlineData("request.auth.presenter", "web-app", null, true)]
    [InlineData("request.auth.claims[iss]", "https://issuer.test", null, true)]
    [InlineData("request.auth.claims[groups]", "admins", null, true)] // a list claim: any element
    [InlineData("request.auth.claims[groups]", "ops", null, false)]
    [InlineData("request.auth.claims[groups]", "adm*", null, true)]
    [InlineData("request.auth.claims[org][team]", "payments", null, true)] // nested
    [InlineData("request.auth.claims[org][team]", "fraud", null, false)]
    [InlineData("request.auth.claims[level]", "3", null, true)]
    [InlineData("request.auth.claims[missing]", "x", null, false)]
    [InlineData("request.auth.claims[groups]", null, "ops", true)]
    [InlineData("request.auth.claims[groups]", null, "dev", false)]
    public void Request_auth_conditions(string key, string? values, string? notValues, bool expected)
    {
        Assert.Equal(expected, Allowed(When(Condition(key, values, notValues)), WithJwt(Alice())));
    }

    [Fact]
    public void A_request_auth_condition_fails_without_a_token()
    {
        Assert.False(Allowed(When(Condition("request.auth.claims[groups]", "admins", null)), WithJwt(null)));
        Assert.True(Allowed(When(Condition("request.auth.claims[groups]", null, "admins")), WithJwt(null)));
    }

    [Fact]
    public void On_tcp_request_principals_never_allow_and_always_deny()
    {
        var rule = From(new AuthorizationSource { RequestPrincipals = { "*" } });
        Assert.False(Allowed(rule, WithJwt(null, tcp: true)));
        Assert.False(Allowed(rule, WithJwt(null, tcp: true), AuthorizationAction.Deny)); // the DENY over-matches: denied
        Assert.False(Allowed(When(Condition("request.auth.claims[groups]", "admins", null)), WithJwt(null, tcp: true)));
        Assert.False(Allowed(When(Condition("request.auth.claims[groups]", "admins", null)), WithJwt(null, tcp: true), AuthorizationAction.Deny));
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.0/8", null, true)]
    [InlineData("127.0.0.1", "10.0.0.0/8", null, false)]
    [InlineData("127.0.0.1", "127.0.0.1", null, true)]
    [InlineData("::ffff:127.0.0.1", "127.0.0.0/8", null, true)] // a dual-mode socket's view of IPv4
    [InlineData("10.1.2.3", null, "10.0.0.0/8", false)]
    [InlineData("192.168.1.1", null, "10.0.0.0/8", true)]
    [InlineData("fd00::1", "fd00::/8", null, true)]
    public void Ip_blocks_and_remote_ip_blocks(string peer, string? blocks, string? notBlocks, bool expected)
    {
        var request = Request(Checkout, ip: peer);
        var source = new AuthorizationSource();
        var remote = new AuthorizationSource();
        if (blocks is not null)
        {
            source.IpBlocks.Add(blocks);
            remote.RemoteIpBlocks.Add(blocks);
        }

        if (notBlocks is not null)
        {
            source.NotIpBlocks.Add(notBlocks);
            remote.NotRemoteIpBlocks.Add(notBlocks);
        }

        Assert.Equal(expected, Allowed(From(source), request));
        Assert.Equal(expected, Allowed(From(remote), request)); // numTrustedProxies 0: the remote address is the peer's
        Assert.Equal(expected, Allowed(When(Condition("remote.ip", blocks, notBlocks)), request));
    }
}
