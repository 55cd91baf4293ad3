using Weft.Protocol.V1;
using Weft.Proxy.Resilience;
using Weft.Proxy.Routing;
using Weft.Proxy.Tests.TestSupport;
using static Weft.Proxy.Tests.TestSupport.Configs;

namespace Weft.Proxy.Tests.Routing;

public sealed class RouteMatchTests
{
    private static CompiledVirtualHost BuildHost(bool withDefault = true)
    {
        var routes = new List<Weft.Protocol.V1.Route>
        {
            Route("exact-uri", "c", new RouteMatch { Uri = Exact("/exact") }),
            Route("prefix-ignore-case", "c", new RouteMatch { Uri = Prefix("/ci/"), IgnoreUriCase = true }),
            Route("prefix-case", "c", new RouteMatch { Uri = Prefix("/Case/") }),
            Route("regex-uri", "c", new RouteMatch { Uri = Regex("/items/[0-9]+") }),
            Route("method", "c", new RouteMatch { Uri = Prefix("/m/"), Method = Exact("DELETE") }),
            Route("method-regex", "c", new RouteMatch { Uri = Prefix("/mr/"), Method = Regex("PUT|PATCH") }),
            Route("header-exact", "c", new RouteMatch { Headers = { new HeaderMatch { Name = "x-canary", Value = Exact("true") } } }),
            Route("header-regex", "c", new RouteMatch { Headers = { new HeaderMatch { Name = "x-user", Value = Regex("alice|bob") } } }),
            Route("header-prefix", "c", new RouteMatch { Headers = { new HeaderMatch { Name = "authorization", Value = Prefix("Bearer ") } } }),
            Route("header-absent", "c", new RouteMatch { Uri = Prefix("/absent"), Headers = { new HeaderMatch { Name = "x-skip", Absent = true } } }),
            Route("header-present", "c", new RouteMatch { Headers = { new HeaderMatch { Name = "x-present" } } }),
            Route("header-multi", "c", new RouteMatch { Headers = { new HeaderMatch { Name = "x-multi", Value = Exact("a,b") } } }),
            Route("any-of", "c", new RouteMatch { Uri = Exact("/or-a") }, new RouteMatch { Uri = Exact("/or-b") }),
            Route("all-headers", "c", new RouteMatch
            {
                Headers =
                {
                    new HeaderMatch { Name = "x-a", Value = Exact("1") },
                    new HeaderMatch { Name = "x-b", Value = Prefix("2") },
                },
            }),
        };
        if (withDefault)
        {
            routes.Add(Route("default", "c"));
        }

        var config = new ProxyConfig();
        config.Clusters.Add(Cluster("c", "127.0.0.1:1"));
        config.Outbound.Add(Host("h", 80, ["h"], [.. routes]));
        Assert.True(RouteTable.Build(config).TryFindVirtualHost("h", out var host));
        return host;
    }

    [Theory]
    [InlineData("GET", "/exact", null, "exact-uri")]
    [InlineData("GET", "/exact?x=1", null, "exact-uri")]
    [InlineData("GET", "/exact/more", null, "default")]
    [InlineData("GET", "/EXACT", null, "default")]
    [InlineData("GET", "/ci/thing", null, "prefix-ignore-case")]
    [InlineData("GET", "/Ci/Thing", null, "prefix-ignore-case")]
    [InlineData("GET", "/Case/x", null, "prefix-case")]
    [InlineData("GET", "/case/x", null, "default")]
    [InlineData("GET", "/items/42", null, "regex-uri")]
    [InlineData("GET", "/items/42?page=2", null, "regex-uri")]
    [InlineData("GET", "/items/42/x", null, "default")]
    [InlineData("GET", "/v1/items/42", null, "default")]
    [InlineData("GET", "/items/abc", null, "default")]
    [InlineData("DELETE", "/m/1", null, "method")]
    [InlineData("GET", "/m/1", null, "default")]
    [InlineData("delete", "/m/1", null, "default")]
    [InlineData("PATCH", "/mr/1", null, "method-regex")]
    [InlineData("PATCHX", "/mr/1", null, "default")]
    [InlineData("GET", "/any", "x-canary=true", "header-exact")]
    [InlineData("GET", "/any", "X-Canary=true", "header-exact")]
    [InlineData("GET", "/any", "x-canary=TRUE", "default")]
    [InlineData("GET", "/any", "x-user=bob", "header-regex")]
    [InlineData("GET", "/any", "x-user=bobby", "default")]
    [InlineData("GET", "/any", "authorization=Bearer abc", "header-prefix")]
    [InlineData("GET", "/absent", null, "header-absent")]
    [InlineData("GET", "/absent", "x-skip=1", "default")]
    [InlineData("GET", "/any", "x-present=", "header-present")]
    [InlineData("GET", "/any", "x-present=anything", "header-present")]
    [InlineData("GET", "/any", "x-multi=a|b", "header-multi")]
    [InlineData("GET", "/any", "x-multi=a", "default")]
    [InlineData("GET", "/or-a", null, "any-of")]
    [InlineData("GET", "/or-b", null, "any-of")]
    [InlineData("GET", "/any", "x-a=1;x-b=2x", "all-headers")]
    [InlineData("GET", "/any", "x-a=1", "default")]
    [InlineData("GET", "/any", "x-b=2", "default")]
    [InlineData("GET", "/exact", "x-canary=true", "exact-uri")] // the first route in order wins
    [InlineData("GET", "/any", "x-user=alice;x-canary=true", "header-exact")]
    public void FirstMatchingRouteWins(string method, string path, string? headers, string expected)
    {
        var route = BuildHost().Match(method, path, Headers.Parse(headers));

        Assert.NotNull(route);
        Assert.Equal(expected, route.Name);
    }

    [Theory]
    [InlineData("GET", "/other")]
    [InlineData("POST", "/")]
    public void NoMatchingRouteReturnsNull(string method, string path)
    {
        Assert.Null(BuildHost(withDefault: false).Match(method, path, Headers.Parse(null)));
    }

    [Fact]
    public void RouteExposesPolicy()
    {
        var route = Route("r", "c");
        route.Timeout = Seconds(3);
        route.Retries = new RetryPolicy { Attempts = 2, PerTryTimeout = Seconds(1), RetryOn = { "5xx" } };
        var config = new ProxyConfig();
        config.Clusters.Add(Cluster("c", "127.0.0.1:1"));
        config.Outbound.Add(Host("h", 80, ["h"], route, Route("plain", "c")));
        Assert.True(RouteTable.Build(config).TryFindVirtualHost("h", out var host));

        var compiled = host.Routes[0];
        Assert.Equal("ns/vs/0", compiled.Source);
        Assert.Equal("r", compiled.Name);
        Assert.Equal(TimeSpan.FromSeconds(3), compiled.Timeout);
        Assert.Equal(2, compiled.Retries.Attempts);
        Assert.Equal(TimeSpan.FromSeconds(1), compiled.Retries.PerTryTimeout);
        Assert.True(compiled.Retries.ShouldRetry(500));

        var plain = host.Routes[1];
        Assert.Equal(TimeSpan.Zero, plain.Timeout);
        Assert.Same(CompiledRetryPolicy.None, plain.Retries);
    }

    [Fact]
    public void InvalidRegexIsAConfigError()
    {
        var config = new ProxyConfig();
        config.Clusters.Add(Cluster("c", "127.0.0.1:1"));
        config.Outbound.Add(Host("h", 80, ["h"], Route("r", "c", new RouteMatch { Uri = Regex("(unclosed") })));

        var error = Assert.Throws<ProxyConfigException>(() => RouteTable.Build(config));
        Assert.Contains("(unclosed", error.Message, StringComparison.Ordinal);
    }
}
