using Microsoft.Extensions.Time.Testing;
using Weft.Protocol.V1;
using Weft.Proxy.Routing;
using Weft.Proxy.Tests.TestSupport;

namespace Weft.Proxy.Tests.Routing;

/// <summary>A config push replaces the route table; what the balancers learned must survive it.</summary>
public sealed class ConfigUpdateStateTests
{
    private static ProxyConfig Config(string version, Cluster cluster)
    {
        var config = new ProxyConfig { Version = version };
        config.Clusters.Add(cluster);
        config.Outbound.Add(Configs.Host("svc", 80, ["svc", "svc.ns.svc.cluster.local"], Configs.Route("r", cluster.Name)));
        return config;
    }

    private static Cluster WithOutlier(Cluster cluster)
    {
        cluster.OutlierDetection = new OutlierDetection { Consecutive5XxErrors = 1, BaseEjectionTime = Configs.Seconds(30), MaxEjectionPercent = 100 };
        return cluster;
    }

    [Fact]
    public void An_ejected_endpoint_stays_ejected_across_a_config_update()
    {
        var time = new FakeTimeProvider();
        var first = RouteTable.Build(Config("1", WithOutlier(Configs.Cluster("c", "127.0.0.1:1", "127.0.0.1:2"))), time);
        Assert.True(first.TryGetCluster("c", out var before));
        before.Outlier!.Report(before.Endpoints[0], 503);
        Assert.Single(before.AvailableEndpoints);

        // The weight change of a canary rollout: same cluster, same endpoints, a new version.
        var second = RouteTable.Build(Config("2", WithOutlier(Configs.Cluster("c", "127.0.0.1:1", "127.0.0.1:2"))), time, first);
        Assert.True(second.TryGetCluster("c", out var after));
        Assert.Same(before.Endpoints[0], after.Endpoints[0]);
        Assert.Equal(["127.0.0.1:2"], after.AvailableEndpoints.Select(e => e.Address));

        time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(2, after.AvailableEndpoints.Length);
    }

    [Fact]
    public void Latency_and_outstanding_requests_carry_over_but_a_changed_endpoint_starts_fresh()
    {
        var time = new FakeTimeProvider();
        var first = RouteTable.Build(Config("1", Configs.Cluster("c", "127.0.0.1:1", "127.0.0.1:2")), time);
        Assert.True(first.TryGetCluster("c", out var before));
        before.Endpoints[0].IncrementOutstanding();
        before.Endpoints[0].RecordLatency(TimeSpan.FromMilliseconds(500));

        var second = RouteTable.Build(Config("2", Configs.Cluster("c", "127.0.0.1:1", "127.0.0.1:3")), time, first);
        Assert.True(second.TryGetCluster("c", out var after));
        Assert.Equal(1, after.Endpoints[0].Outstanding);
        Assert.Equal(500, after.Endpoints[0].EwmaLatencyMs);
        Assert.NotSame(before.Endpoints[1], after.Endpoints[1]);
        Assert.Equal("127.0.0.1:3", after.Endpoints[1].Address);
    }

    [Fact]
    public void Requests_in_flight_keep_counting_against_an_unchanged_connection_pool_limit()
    {
        var pool = new ConnectionPool { MaxConnections = 1 };
        var cluster = Configs.Cluster("c", "127.0.0.1:1");
        cluster.ConnectionPool = pool;
        var first = RouteTable.Build(Config("1", cluster));
        Assert.True(first.TryGetCluster("c", out var before));
        Assert.True(before.Admission!.TryEnter(http2: false));

        var updated = Configs.Cluster("c", "127.0.0.1:1");
        updated.ConnectionPool = pool.Clone();
        var second = RouteTable.Build(Config("2", updated), first);
        Assert.True(second.TryGetCluster("c", out var after));
        Assert.False(after.Admission!.TryEnter(http2: false));

        // A new limit starts a new count.
        var raised = Configs.Cluster("c", "127.0.0.1:1");
        raised.ConnectionPool = new ConnectionPool { MaxConnections = 2 };
        var third = RouteTable.Build(Config("3", raised), second);
        Assert.True(third.TryGetCluster("c", out var afterRaise));
        Assert.True(afterRaise.Admission!.TryEnter(http2: false));
    }
}
