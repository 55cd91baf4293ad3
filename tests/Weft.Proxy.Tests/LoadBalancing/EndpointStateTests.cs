using Weft.Protocol.V1;
using Weft.Proxy.LoadBalancing;
using Weft.Proxy.Tests.TestSupport;

namespace Weft.Proxy.Tests.LoadBalancing;

public sealed class EndpointStateTests
{
    [Theory]
    [InlineData("127.0.0.1:40123", false, "127.0.0.1", 40123, "http://127.0.0.1:40123/")]
    [InlineData("127.0.0.1:40123", true, "127.0.0.1", 40123, "http://127.0.0.1:40123/")]
    [InlineData("[::1]:8080", false, "::1", 8080, "http://[::1]:8080/")]
    [InlineData("payments-v1.local:9080", false, "payments-v1.local", 9080, "http://payments-v1.local:9080/")]
    public void ParsesAddressOnce(string address, bool tls, string host, int port, string prefix)
    {
        var endpoint = new EndpointState(
            new Endpoint { Address = address, Workload = "payments-v1", Namespace = "payments", SpiffeId = "spiffe://cluster.local/ns/payments/sa/payments", CanonicalService = "payments", CanonicalRevision = "v1" },
            tls ? "payments.payments.svc.cluster.local" : "unknown",
            TimeProvider.System);

        Assert.Equal(address, endpoint.Address);
        Assert.Equal(host, endpoint.Host);
        Assert.Equal(port, endpoint.Port);
        Assert.Equal(prefix, endpoint.DestinationPrefix);
        Assert.Equal("payments-v1", endpoint.Workload);
        Assert.Equal("payments", endpoint.Namespace);
        Assert.Equal("spiffe://cluster.local/ns/payments/sa/payments", endpoint.SpiffeId);
        Assert.Equal("payments", endpoint.CanonicalService);
        Assert.Equal("v1", endpoint.CanonicalRevision);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("[::1]")]
    [InlineData(":80")]
    public void RejectsInvalidAddresses(string address)
    {
        Assert.Throws<ProxyConfigException>(() => new EndpointState(new Endpoint { Address = address }, "svc.ns.svc.cluster.local", TimeProvider.System));
    }

    [Fact]
    public void OutstandingCountsUpAndDown()
    {
        var endpoint = new EndpointState(new Endpoint { Address = "127.0.0.1:1" }, "svc.ns.svc.cluster.local", TimeProvider.System);

        endpoint.IncrementOutstanding();
        endpoint.IncrementOutstanding();
        endpoint.DecrementOutstanding();

        Assert.Equal(1, endpoint.Outstanding);
    }

    [Fact]
    public void PeakEwmaJumpsToPeaksAndDecaysWithTime()
    {
        var time = new ManualTimeProvider();
        var endpoint = new EndpointState(new Endpoint { Address = "127.0.0.1:1" }, "svc.ns.svc.cluster.local", time);
        Assert.Equal(EndpointState.DefaultLatencyMs, endpoint.EwmaLatencyMs);

        endpoint.RecordLatency(TimeSpan.FromMilliseconds(100)); // above the estimate: taken as is
        Assert.Equal(100, endpoint.EwmaLatencyMs, precision: 6);

        time.Advance(TimeSpan.FromSeconds(10)); // one decay time: e^-1 of the old estimate remains
        Assert.Equal(100 * Math.Exp(-1), endpoint.CurrentLatencyMs(), precision: 6);

        endpoint.RecordLatency(TimeSpan.FromMilliseconds(10));
        Assert.Equal((100 * Math.Exp(-1)) + (10 * (1 - Math.Exp(-1))), endpoint.EwmaLatencyMs, precision: 6);
        Assert.Equal(endpoint.EwmaLatencyMs, endpoint.CurrentLatencyMs(), precision: 6);
    }

    [Fact]
    public void CostIsOutstandingPlusOneTimesLatency()
    {
        var time = new ManualTimeProvider();
        var endpoint = new EndpointState(new Endpoint { Address = "127.0.0.1:1" }, "svc.ns.svc.cluster.local", time);
        endpoint.RecordLatency(TimeSpan.FromMilliseconds(50));
        endpoint.IncrementOutstanding();
        endpoint.IncrementOutstanding();

        Assert.Equal(150, endpoint.Cost(), precision: 6);
    }
}
