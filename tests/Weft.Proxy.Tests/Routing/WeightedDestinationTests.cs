using Weft.Protocol.V1;
using Weft.Proxy.Routing;
using Weft.Proxy.Tests.TestSupport;
using static Weft.Proxy.Tests.TestSupport.Configs;

namespace Weft.Proxy.Tests.Routing;

public sealed class WeightedDestinationTests
{
    private const int Picks = 10_000;

    private static CompiledRoute BuildRoute(params uint[] weights)
    {
        var config = new ProxyConfig();
        var route = new Weft.Protocol.V1.Route { Name = "split" };
        for (var i = 0; i < weights.Length; i++)
        {
            config.Clusters.Add(Cluster("c" + i, "127.0.0.1:" + (1000 + i)));
            route.Destinations.Add(new WeightedCluster { Cluster = "c" + i, Weight = weights[i] });
        }

        config.Outbound.Add(Host("h", 80, ["h"], route));
        Assert.True(RouteTable.Build(config).TryFindVirtualHost("h", out var host));
        return host.Routes[0];
    }

    private static double[] Shares(CompiledRoute route, int destinations, int seed)
    {
        var random = new SeededRandomSource(seed);
        var counts = new int[destinations];
        for (var i = 0; i < Picks; i++)
        {
            var cluster = route.PickDestination(random);
            counts[int.Parse(cluster.Name.AsSpan(1), provider: null)]++;
        }

        var shares = new double[destinations];
        for (var i = 0; i < destinations; i++)
        {
            shares[i] = 100.0 * counts[i] / Picks;
        }

        return shares;
    }

    public static TheoryData<uint[], double[]> Splits => new()
    {
        { [90, 10], [90, 10] },
        { [10, 90], [10, 90] },
        { [50, 50], [50, 50] },
        { [1, 1, 2], [25, 25, 50] },
        { [70, 0, 30], [70, 0, 30] },
        { [0, 100], [0, 100] },
        { [100], [100] },
        { [0], [100] },
        { [0, 0], [50, 50] }, // no weights at all: even split
    };

    [Theory]
    [MemberData(nameof(Splits))]
    public void SplitsTrafficByWeightWithinOnePoint(uint[] weights, double[] expectedPercent)
    {
        foreach (var seed in new[] { 1, 42, 2024 })
        {
            var shares = Shares(BuildRoute(weights), weights.Length, seed);
            for (var i = 0; i < weights.Length; i++)
            {
                Assert.InRange(shares[i], expectedPercent[i] - 1, expectedPercent[i] + 1);
            }
        }
    }

    [Fact]
    public void WeightZeroIsNeverPicked()
    {
        var route = BuildRoute(50, 0, 50, 0);
        var random = new SeededRandomSource(7);
        for (var i = 0; i < Picks; i++)
        {
            var name = route.PickDestination(random).Name;
            Assert.NotEqual("c1", name);
            Assert.NotEqual("c3", name);
        }
    }

    [Fact]
    public void ClustersAreSharedBetweenRoutes()
    {
        var config = new ProxyConfig();
        config.Clusters.Add(Cluster("c", "127.0.0.1:1"));
        config.Outbound.Add(Host("a", 80, ["a"], Route("ra", "c")));
        config.Outbound.Add(Host("b", 80, ["b"], Route("rb", "c")));
        var table = RouteTable.Build(config);
        var random = new SeededRandomSource(1);

        Assert.True(table.TryFindVirtualHost("a", out var a));
        Assert.True(table.TryFindVirtualHost("b", out var b));
        Assert.True(table.TryGetCluster("c", out var cluster));
        Assert.Same(cluster, a.Routes[0].PickDestination(random));
        Assert.Same(cluster, b.Routes[0].PickDestination(random));
    }

    [Fact]
    public void UnknownClusterIsAConfigError()
    {
        var config = new ProxyConfig();
        config.Outbound.Add(Host("h", 80, ["h"], Route("r", "missing")));

        var error = Assert.Throws<ProxyConfigException>(() => RouteTable.Build(config));
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RouteWithoutDestinationsIsAConfigError()
    {
        var config = new ProxyConfig();
        config.Outbound.Add(Host("h", 80, ["h"], new Weft.Protocol.V1.Route { Name = "empty" }));

        Assert.Throws<ProxyConfigException>(() => RouteTable.Build(config));
    }
}
