using Weft.Protocol.V1;
using Weft.Proxy.LoadBalancing;
using Weft.Proxy.Routing;
using Weft.Proxy.Tests.TestSupport;
using static Weft.Proxy.Tests.TestSupport.Configs;

namespace Weft.Proxy.Tests.LoadBalancing;

public sealed class LoadBalancerTests
{
    private static CompiledCluster BuildCluster(LoadBalancer balancer, TimeProvider time, params string[] addresses)
    {
        var cluster = Cluster("c", addresses);
        cluster.LoadBalancer = balancer;
        return CompiledCluster.Build(cluster, time);
    }

    [Theory]
    [InlineData(LoadBalancer.LeastRequest, typeof(LeastRequestLoadBalancer))]
    [InlineData(LoadBalancer.RoundRobin, typeof(RoundRobinLoadBalancer))]
    [InlineData(LoadBalancer.Random, typeof(RandomLoadBalancer))]
    public void ClusterUsesConfiguredLoadBalancer(LoadBalancer balancer, Type expected)
    {
        var cluster = BuildCluster(balancer, TimeProvider.System, "127.0.0.1:1");

        Assert.IsType(expected, cluster.LoadBalancer);
    }

    [Theory]
    [InlineData(LoadBalancer.LeastRequest)]
    [InlineData(LoadBalancer.RoundRobin)]
    [InlineData(LoadBalancer.Random)]
    public void NoEndpointsPicksNothing(LoadBalancer balancer)
    {
        var cluster = BuildCluster(balancer, TimeProvider.System);

        Assert.Null(cluster.PickEndpoint(new SeededRandomSource(1)));
    }

    [Theory]
    [InlineData(LoadBalancer.LeastRequest)]
    [InlineData(LoadBalancer.RoundRobin)]
    [InlineData(LoadBalancer.Random)]
    public void SingleEndpointIsAlwaysPicked(LoadBalancer balancer)
    {
        var cluster = BuildCluster(balancer, TimeProvider.System, "127.0.0.1:1");

        for (var i = 0; i < 10; i++)
        {
            Assert.Same(cluster.Endpoints[0], cluster.PickEndpoint(new SeededRandomSource(i)));
        }
    }

    [Fact]
    public void LeastRequestPrefersTheLessLoadedEndpoint()
    {
        var cluster = BuildCluster(LoadBalancer.LeastRequest, new ManualTimeProvider(), "127.0.0.1:1", "127.0.0.1:2");
        for (var i = 0; i < 5; i++)
        {
            cluster.Endpoints[0].IncrementOutstanding();
        }

        var random = new SeededRandomSource(3);
        for (var i = 0; i < 100; i++)
        {
            Assert.Same(cluster.Endpoints[1], cluster.PickEndpoint(random));
        }
    }

    [Fact]
    public void LeastRequestNeverPicksTheMostLoadedOfThree()
    {
        var cluster = BuildCluster(LoadBalancer.LeastRequest, new ManualTimeProvider(), "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3");
        cluster.Endpoints[1].IncrementOutstanding();
        for (var i = 0; i < 10; i++)
        {
            cluster.Endpoints[2].IncrementOutstanding();
        }

        var random = new SeededRandomSource(11);
        var counts = new int[3];
        for (var i = 0; i < 3_000; i++)
        {
            counts[Array.IndexOf(cluster.Endpoints, cluster.PickEndpoint(random))]++;
        }

        Assert.Equal(0, counts[2]);
        Assert.InRange(counts[0], 1_900, 2_100); // it wins both pairs it appears in: 2/3 of picks
    }

    [Fact]
    public void LeastRequestPrefersTheFasterEndpoint()
    {
        var time = new ManualTimeProvider();
        var cluster = BuildCluster(LoadBalancer.LeastRequest, time, "127.0.0.1:1", "127.0.0.1:2");
        cluster.Endpoints[0].RecordLatency(TimeSpan.FromMilliseconds(200));
        cluster.Endpoints[1].RecordLatency(TimeSpan.FromMilliseconds(5));

        var random = new SeededRandomSource(5);
        for (var i = 0; i < 100; i++)
        {
            Assert.Same(cluster.Endpoints[1], cluster.PickEndpoint(random));
        }
    }

    [Fact]
    public void LeastRequestWeighsLatencyByOutstandingRequests()
    {
        var time = new ManualTimeProvider();
        var cluster = BuildCluster(LoadBalancer.LeastRequest, time, "127.0.0.1:1", "127.0.0.1:2");
        cluster.Endpoints[0].RecordLatency(TimeSpan.FromMilliseconds(40)); // cost 1 × 40
        for (var i = 0; i < 3; i++)
        {
            cluster.Endpoints[1].IncrementOutstanding(); // cost 4 × 30 (default estimate)
        }

        Assert.Same(cluster.Endpoints[0], cluster.PickEndpoint(new SeededRandomSource(1)));
    }

    [Fact]
    public void RoundRobinCycles()
    {
        var cluster = BuildCluster(LoadBalancer.RoundRobin, TimeProvider.System, "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3");
        var random = new SeededRandomSource(1);

        var picked = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            picked.Add(cluster.PickEndpoint(random)!.Address);
        }

        Assert.Equal(
            ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "127.0.0.1:1"],
            picked);
    }

    [Fact]
    public void RandomUsesTheRandomSource()
    {
        var cluster = BuildCluster(LoadBalancer.Random, TimeProvider.System, "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3");
        var random = new ScriptedRandomSource(2, 0, 1);

        Assert.Equal("127.0.0.1:3", cluster.PickEndpoint(random)!.Address);
        Assert.Equal("127.0.0.1:1", cluster.PickEndpoint(random)!.Address);
        Assert.Equal("127.0.0.1:2", cluster.PickEndpoint(random)!.Address);
    }
}
