using Weft.Protocol.V1;
using static Weft.Proxy.Tests.Authorization.Authz;

namespace Weft.Proxy.Tests.Authorization;

/// <summary>Each source/operation/condition field, evaluated as the only field of an ALLOW rule.</summary>
public sealed class AuthorizationRuleTests
{
    private static bool Allowed(AuthorizationRule rule, Weft.Proxy.Authorization.AuthorizationRequest request) =>
        Evaluate(request, Allow("shop/policy", rule)).Allowed;

    [Theory]
    [InlineData(Checkout, Checkout, true)]
    [InlineData(Checkout, "cluster.local/ns/shop/sa/other", false)]
    [InlineData(Checkout, "cluster.local/ns/shop/sa/checkout2", false)]
    [InlineData(Checkout, null, false)]
    [InlineData("*", Checkout, true)] // any authenticated peer
    [InlineData("*", null, false)] // … but not an unauthenticated one
    [InlineData("cluster.local/ns/shop/*", Checkout, true)]
    [InlineData("cluster.local/ns/shop/*", "cluster.local/ns/web/sa/checkout", false)]
    [InlineData("*/sa/checkout", "cluster.local/ns/web/sa/checkout", true)]
    [InlineData("*/sa/checkout", "cluster.local/ns/web/sa/frontend", false)]
    [InlineData("*/sa/checkout", null, false)]
    public void Principals(string pattern, string? principal, bool expected)
    {
        Assert.Equal(expected, Allowed(From(new AuthorizationSource { Principals = { pattern } }), Request(principal)));
    }

    [Theory]
    [InlineData("cluster.local/ns/shop/sa/intruder", "cluster.local/ns/shop/sa/intruder", false)]
    [InlineData("cluster.local/ns/shop/sa/intruder", Checkout, true)]
    [InlineData("cluster.local/ns/shop/sa/intruder", null, true)] // nothing to exclude
    [InlineData("*", Checkout, false)]
    [InlineData("*", null, true)] // notPrincipals: ["*"] admits exactly the unauthenticated
    public void NotPrincipals(string pattern, string? principal, bool expected)
    {
        Assert.Equal(expected, Allowed(From(new AuthorizationSource { NotPrincipals = { pattern } }), Request(principal)));
    }

    [Fact]
    public void PrincipalsAreAnyOf()
    {
        var rule = From(new AuthorizationSource { Principals = { "cluster.local/ns/web/sa/frontend", Checkout } });

        Assert.True(Allowed(rule, Request(Checkout)));
        Assert.True(Allowed(rule, Request("cluster.local/ns/web/sa/frontend")));
        Assert.False(Allowed(rule, Request("cluster.local/ns/web/sa/other")));
    }

    [Theory]
    [InlineData("shop", Checkout, true)]
    [InlineData("shop", "cluster.local/ns/web/sa/frontend", false)]
    [InlineData("shop", null, false)]
    [InlineData("*", Checkout, true)]
    [InlineData("*", null, false)]
    [InlineData("sh*", Checkout, true)]
    [InlineData("*op", Checkout, true)]
    [InlineData("*op", "cluster.local/ns/web/sa/frontend", false)]
    public void Namespaces(string pattern, string? principal, bool expected)
    {
        Assert.Equal(expected, Allowed(From(new AuthorizationSource { Namespaces = { pattern } }), Request(principal)));
    }

    [Theory]
    [InlineData("web", Checkout, true)]
    [InlineData("shop", Checkout, false)]
    [InlineData("shop", null, true)]
    public void NotNamespaces(string pattern, string? principal, bool expected)
    {
        Assert.Equal(expected, Allowed(From(new AuthorizationSource { NotNamespaces = { pattern } }), Request(principal)));
    }

    [Theory]
    [InlineData(Checkout, true)]
    [InlineData("cluster.local/ns/shop/sa/other", false)] // namespace matches, principal does not
    [InlineData("cluster.local/ns/web/sa/checkout", false)] // principal suffix matches, namespace does not
    public void EveryFieldOfASourceMustMatch(string principal, bool expected)
    {
        var rule = From(new AuthorizationSource { Principals = { "*/sa/checkout" }, Namespaces = { "shop" } });

        Assert.Equal(expected, Allowed(rule, Request(principal)));
    }

    [Fact]
    public void SourcesAreAnyOf()
    {
        var rule = new AuthorizationRule
        {
            From =
            {
                new AuthorizationSource { Principals = { Checkout } },
                new AuthorizationSource { Namespaces = { "web" } },
            },
        };

        Assert.True(Allowed(rule, Request(Checkout)));
        Assert.True(Allowed(rule, Request("cluster.local/ns/web/sa/anyone")));
        Assert.False(Allowed(rule, Request("cluster.local/ns/shop/sa/other")));
    }

    [Theory]
    [InlineData("/orders", "/orders", true)]
    [InlineData("/orders", "/orders/1", false)]
    [InlineData("/orders", "/Orders", false)]
    [InlineData("/api/*", "/api/v1/items", true)]
    [InlineData("/api/*", "/api", false)]
    [InlineData("/api/*", "/apiv2", false)]
    [InlineData("*.json", "/data/items.json", true)]
    [InlineData("*.json", "/data/items.xml", false)]
    [InlineData("*", "/anything", true)]
    public void Paths(string pattern, string path, bool expected)
    {
        Assert.Equal(expected, Allowed(To(new AuthorizationOperation { Paths = { pattern } }), Request(path: path)));
    }

    [Theory]
    [InlineData("/admin*", "/admin/users", false)]
    [InlineData("/admin*", "/public", true)]
    [InlineData("/healthz", "/healthz", false)]
    public void NotPaths(string pattern, string path, bool expected)
    {
        Assert.Equal(expected, Allowed(To(new AuthorizationOperation { NotPaths = { pattern } }), Request(path: path)));
    }

    [Theory]
    [InlineData("GET", "GET", true)]
    [InlineData("GET", "POST", false)]
    [InlineData("GET", "get", false)]
    [InlineData("P*", "PUT", true)]
    [InlineData("P*", "GET", false)]
    public void Methods(string pattern, string method, bool expected)
    {
        Assert.Equal(expected, Allowed(To(new AuthorizationOperation { Methods = { pattern } }), Request(method: method)));
    }

    [Theory]
    [InlineData("DELETE", "DELETE", false)]
    [InlineData("DELETE", "GET", true)]
    public void NotMethods(string pattern, string method, bool expected)
    {
        Assert.Equal(expected, Allowed(To(new AuthorizationOperation { NotMethods = { pattern } }), Request(method: method)));
    }

    [Theory]
    [InlineData(9080u, 9080, true)]
    [InlineData(9080u, 9090, false)]
    public void Ports(uint allowed, int port, bool expected)
    {
        Assert.Equal(expected, Allowed(To(new AuthorizationOperation { Ports = { allowed } }), Request(port: port)));
    }

    [Theory]
    [InlineData(15000u, 15000, false)]
    [InlineData(15000u, 9080, true)]
    public void NotPorts(uint excluded, int port, bool expected)
    {
        Assert.Equal(expected, Allowed(To(new AuthorizationOperation { NotPorts = { excluded } }), Request(port: port)));
    }

    [Theory]
    [InlineData("payments.shop.svc.cluster.local", "payments.shop.svc.cluster.local", true)]
    [InlineData("payments.shop.svc.cluster.local", "PAYMENTS.Shop.svc.cluster.local", true)]
    [InlineData("payments", "payments:9080", false)] // matched against the authority as sent, as Istio
    [InlineData("payments:*", "payments:9080", true)]
    [InlineData("*.cluster.local", "payments.shop.svc.cluster.local", true)]
    [InlineData("*.cluster.local", "payments", false)]
    [InlineData("payments*", "Payments.shop", true)]
    public void Hosts(string pattern, string host, bool expected)
    {
        Assert.Equal(expected, Allowed(To(new AuthorizationOperation { Hosts = { pattern } }), Request(host: host)));
    }

    [Theory]
    [InlineData("admin.shop", "ADMIN.shop", false)]
    [InlineData("admin.shop", "payments.shop", true)]
    public void NotHosts(string pattern, string host, bool expected)
    {
        Assert.Equal(expected, Allowed(To(new AuthorizationOperation { NotHosts = { pattern } }), Request(host: host)));
    }

    [Theory]
    [InlineData("GET", "/orders", 9080, true)]
    [InlineData("POST", "/orders", 9080, false)]
    [InlineData("GET", "/admin", 9080, false)]
    [InlineData("GET", "/orders", 9090, false)]
    public void EveryFieldOfAnOperationMustMatch(string method, string path, int port, bool expected)
    {
        var rule = To(new AuthorizationOperation { Methods = { "GET" }, Paths = { "/orders*" }, Ports = { 9080 } });

        Assert.Equal(expected, Allowed(rule, Request(method: method, path: path, port: port)));
    }

    [Fact]
    public void OperationsAreAnyOf()
    {
        var rule = new AuthorizationRule
        {
            To =
            {
                new AuthorizationOperation { Methods = { "GET" } },
                new AuthorizationOperation { Paths = { "/public*" } },
            },
        };

        Assert.True(Allowed(rule, Request(method: "GET", path: "/x")));
        Assert.True(Allowed(rule, Request(method: "POST", path: "/public/form")));
        Assert.False(Allowed(rule, Request(method: "POST", path: "/x")));
    }

    [Theory]
    [InlineData(Checkout, "GET", null, true)]
    [InlineData(Checkout, "POST", null, false)] // from matches, to does not
    [InlineData("cluster.local/ns/web/sa/frontend", "GET", null, false)] // to matches, from does not
    [InlineData(Checkout, "GET", "x-debug=1", false)] // from and to match, when does not
    public void FromToAndWhenMustAllMatch(string principal, string method, string? headers, bool expected)
    {
        var rule = new AuthorizationRule
        {
            From = { new AuthorizationSource { Principals = { Checkout } } },
            To = { new AuthorizationOperation { Methods = { "GET" } } },
            When = { Condition("request.headers[x-debug]", null, "1") },
        };

        Assert.Equal(expected, Allowed(rule, Request(principal, method: method, headers: headers)));
    }

    [Theory]
    // request.headers[name]: values any-of, notValues none-of; several header values are joined with ','.
    [InlineData("request.headers[x-token]", "secret", null, "x-token=secret", null, null, true)]
    [InlineData("request.headers[x-token]", "secret", null, "X-Token=secret", null, null, true)]
    [InlineData("request.headers[x-token]", "secret", null, "x-token=other", null, null, false)]
    [InlineData("request.headers[x-token]", "secret", null, null, null, null, false)]
    [InlineData("request.headers[x-token]", "a,secret", null, "x-token=secret", null, null, true)]
    [InlineData("request.headers[authorization]", "Bearer *", null, "authorization=Bearer xyz", null, null, true)]
    [InlineData("request.headers[authorization]", "Bearer *", null, "authorization=Basic xyz", null, null, false)]
    [InlineData("request.headers[x-token]", "*", null, "x-token=anything", null, null, true)]
    [InlineData("request.headers[x-token]", "*", null, null, null, null, false)]
    [InlineData("request.headers[x-env]", null, "prod", "x-env=prod", null, null, false)]
    [InlineData("request.headers[x-env]", null, "prod", "x-env=dev", null, null, true)]
    [InlineData("request.headers[x-env]", null, "prod", null, null, null, true)]
    [InlineData("request.headers[x-env]", "dev*", "dev-secret", "x-env=dev-1", null, null, true)]
    [InlineData("request.headers[x-env]", "dev*", "dev-secret", "x-env=dev-secret", null, null, false)]
    [InlineData("request.headers[x-multi]", "a,b", null, "x-multi=a|b", null, null, false)]
    [InlineData("request.headers[x-multi]", "a*", null, "x-multi=a|b", null, null, true)]
    // source.namespace / source.principal
    [InlineData("source.namespace", "shop", null, null, Checkout, null, true)]
    [InlineData("source.namespace", "web", null, null, Checkout, null, false)]
    [InlineData("source.namespace", "shop", null, null, null, null, false)]
    [InlineData("source.namespace", null, "shop", null, Checkout, null, false)]
    [InlineData("source.principal", "*/sa/checkout", null, null, Checkout, null, true)]
    [InlineData("source.principal", "*", null, null, null, null, false)]
    [InlineData("source.principal", null, Checkout, null, Checkout, null, false)]
    // source.ip: CIDR or exact address
    [InlineData("source.ip", "10.0.0.0/8", null, null, null, "10.1.2.3", true)]
    [InlineData("source.ip", "10.0.0.0/8", null, null, null, "192.168.1.1", false)]
    [InlineData("source.ip", "10.0.0.0/8", null, null, null, "::ffff:10.1.2.3", true)]
    [InlineData("source.ip", "10.0.0.0/8", null, null, null, null, false)]
    [InlineData("source.ip", "192.168.1.7", null, null, null, "192.168.1.7", true)]
    [InlineData("source.ip", "192.168.1.7", null, null, null, "192.168.1.8", false)]
    [InlineData("source.ip", "fd00::/8", null, null, null, "fd00::1", true)]
    [InlineData("source.ip", "fd00::/8", null, null, null, "10.0.0.1", false)]
    [InlineData("source.ip", "10.0.0.0/8", "10.9.0.0/16", null, null, "10.9.1.1", false)]
    [InlineData("source.ip", "10.0.0.0/8", "10.9.0.0/16", null, null, "10.8.1.1", true)]
    // destination.port
    [InlineData("destination.port", "9080", null, null, null, null, true)]
    [InlineData("destination.port", "8080,9090", null, null, null, null, false)]
    [InlineData("destination.port", null, "9080", null, null, null, false)]
    public void Conditions(string key, string? values, string? notValues, string? headers, string? principal, string? ip, bool expected)
    {
        var rule = When(Condition(key, values, notValues));

        Assert.Equal(expected, Allowed(rule, Request(principal, headers: headers, ip: ip)));
    }

    [Fact]
    public void AllConditionsMustMatch()
    {
        var rule = new AuthorizationRule
        {
            When =
            {
                Condition("request.headers[x-a]", "1", null),
                Condition("destination.port", "9080", null),
            },
        };

        Assert.True(Allowed(rule, Request(headers: "x-a=1", port: 9080)));
        Assert.False(Allowed(rule, Request(headers: "x-a=1", port: 9090)));
        Assert.False(Allowed(rule, Request(headers: "x-a=2", port: 9080)));
    }

    [Theory]
    [InlineData(AuthorizationAction.Allow, false)] // an ALLOW rule it cannot evaluate never matches
    [InlineData(AuthorizationAction.Deny, false)] // a DENY rule it cannot evaluate always matches
    public void UnsupportedConditionKeysFailClosed(AuthorizationAction action, bool expected)
    {
        var policy = Policy("shop/p", action, When(Condition("connection.sni", "payments.example", null)));

        Assert.Equal(expected, Evaluate(Request(Checkout), policy).Allowed);
    }
}
