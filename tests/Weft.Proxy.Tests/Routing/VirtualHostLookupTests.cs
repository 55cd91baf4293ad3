using Weft.Protocol.V1;
using Weft.Proxy.Routing;
using static Weft.Proxy.Tests.TestSupport.Configs;

namespace Weft.Proxy.Tests.Routing;

public sealed class VirtualHostLookupTests
{
    private static readonly string[] PaymentsDomains =
        ["payments", "payments.payments", "payments.payments.svc", "payments.payments.svc.cluster.local"];

    private static RouteTable BuildTable()
    {
        var config = new ProxyConfig { Version = "7" };
        config.Clusters.Add(Cluster("outbound|80||payments.payments.svc.cluster.local", "127.0.0.1:40001"));
        config.Outbound.Add(Host("payments.payments.svc.cluster.local:80", 80, PaymentsDomains,
            Route("default", "outbound|80||payments.payments.svc.cluster.local")));
        config.Outbound.Add(Host("payments.payments.svc.cluster.local:8080", 8080, PaymentsDomains,
            Route("default", "outbound|80||payments.payments.svc.cluster.local")));
        config.Outbound.Add(Host("reviews.shop.svc.cluster.local:9080", 9080, ["reviews.shop.svc.cluster.local"],
            Route("default", "outbound|80||payments.payments.svc.cluster.local")));
        return RouteTable.Build(config);
    }

    [Theory]
    [InlineData("payments", "payments.payments.svc.cluster.local:80")]
    [InlineData("payments:80", "payments.payments.svc.cluster.local:80")]
    [InlineData("PAYMENTS", "payments.payments.svc.cluster.local:80")]
    [InlineData("Payments.Payments.Svc.Cluster.Local:80", "payments.payments.svc.cluster.local:80")]
    [InlineData("payments.payments", "payments.payments.svc.cluster.local:80")]
    [InlineData("payments.payments.svc.cluster.local", "payments.payments.svc.cluster.local:80")]
    [InlineData("payments.payments.svc.cluster.local.", "payments.payments.svc.cluster.local:80")]
    [InlineData("payments:", "payments.payments.svc.cluster.local:80")]
    [InlineData("payments:8080", "payments.payments.svc.cluster.local:8080")]
    [InlineData("payments.payments.svc.cluster.local:8080", "payments.payments.svc.cluster.local:8080")]
    [InlineData("reviews.shop.svc.cluster.local:9080", "reviews.shop.svc.cluster.local:9080")]
    [InlineData("reviews.shop.svc.cluster.local", null)]
    [InlineData("reviews:9080", null)]
    [InlineData("payments:9999", null)]
    [InlineData("payments:abc", null)]
    [InlineData("payments:99999", null)]
    [InlineData("unknown", null)]
    [InlineData("", null)]
    [InlineData(":80", null)]
    [InlineData("[::1]:80", null)]
    public void FindsVirtualHostByDomainAndPort(string authority, string? expected)
    {
        var table = BuildTable();

        var found = table.TryFindVirtualHost(authority, out var host);

        Assert.Equal(expected is not null, found);
        Assert.Equal(expected, host?.Name);
    }

    [Fact]
    public void ExposesVirtualHostMetadata()
    {
        var table = BuildTable();

        Assert.True(table.TryFindVirtualHost("payments:8080", out var host));
        Assert.Equal("payments.payments.svc.cluster.local:8080", host.Name);
        Assert.Equal("payments.payments.svc.cluster.local", host.ServiceFqdn);
        Assert.Equal("payments", host.ServiceName);
        Assert.Equal("ns", host.ServiceNamespace);
        Assert.Equal(8080, host.Port);
        Assert.Equal("7", table.Version);
    }

    [Fact]
    public void FirstVirtualHostClaimingADomainAndPortWins()
    {
        var config = new ProxyConfig();
        config.Clusters.Add(Cluster("c", "127.0.0.1:1"));
        config.Outbound.Add(Host("first", 80, ["shared"], Route("r", "c")));
        config.Outbound.Add(Host("second", 80, ["shared", "other"], Route("r", "c")));
        var table = RouteTable.Build(config);

        Assert.True(table.TryFindVirtualHost("shared", out var shared));
        Assert.Equal("first", shared.Name);
        Assert.True(table.TryFindVirtualHost("other", out var other));
        Assert.Equal("second", other.Name);
    }
}
