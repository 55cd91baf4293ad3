using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Time.Testing;
using Weft.Protocol.V1;
using Weft.Proxy.LoadBalancing;
using Weft.Proxy.Resilience;

namespace Weft.Proxy.Tests.Resilience;

public sealed class OutlierDetectorTests
{
    private static (OutlierDetector Detector, EndpointState[] Endpoints, FakeTimeProvider Time) Create(int endpoints, uint maxPercent = 100)
    {
        var time = new FakeTimeProvider();
        var states = Enumerable.Range(0, endpoints)
            .Select(i => new EndpointState(new Endpoint { Address = $"127.0.0.1:{30000 + i}", Workload = $"w{i}" }, "svc.ns.svc.cluster.local", time))
            .ToArray();
        var config = new OutlierDetection
        {
            Consecutive5XxErrors = 3,
            ConsecutiveGatewayErrors = 0,
            Interval = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)),
            BaseEjectionTime = Duration.FromTimeSpan(TimeSpan.FromSeconds(30)),
            MaxEjectionPercent = maxPercent,
        };
        return (new OutlierDetector(config, states, time), states, time);
    }

    [Fact]
    public void Consecutive_5xx_eject_until_the_ejection_time_passes()
    {
        var (detector, endpoints, time) = Create(3);
        detector.Report(endpoints[0], 503);
        detector.Report(endpoints[0], 500);
        Assert.Equal(3, detector.Available().Length);

        detector.Report(endpoints[0], null); // a connection failure counts too
        Assert.DoesNotContain(endpoints[0], detector.Available());

        time.Advance(TimeSpan.FromSeconds(29));
        Assert.DoesNotContain(endpoints[0], detector.Available());
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Contains(endpoints[0], detector.Available());
    }

    [Fact]
    public void A_success_resets_the_count()
    {
        var (detector, endpoints, _) = Create(3);
        detector.Report(endpoints[1], 503);
        detector.Report(endpoints[1], 503);
        detector.Report(endpoints[1], 200);
        detector.Report(endpoints[1], 503);
        Assert.Equal(3, detector.Available().Length);
    }

    [Fact]
    public void Each_ejection_lasts_longer()
    {
        var (detector, endpoints, time) = Create(2);
        for (var i = 0; i < 3; i++)
        {
            detector.Report(endpoints[0], 503);
        }

        time.Advance(TimeSpan.FromSeconds(31));
        for (var i = 0; i < 3; i++)
        {
            detector.Report(endpoints[0], 503);
        }

        time.Advance(TimeSpan.FromSeconds(31)); // the second ejection lasts 2 × 30 s
        Assert.DoesNotContain(endpoints[0], detector.Available());
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Contains(endpoints[0], detector.Available());
    }

    [Theory]
    [InlineData(10u, 1)] // 10% of 4 rounds down to 0, but one ejection is always allowed (as Envoy)
    [InlineData(50u, 2)]
    [InlineData(100u, 4)]
    public void Max_ejection_percent_caps_how_many_are_out(uint percent, int maxEjected)
    {
        var (detector, endpoints, _) = Create(4, percent);
        foreach (var endpoint in endpoints)
        {
            for (var i = 0; i < 3; i++)
            {
                detector.Report(endpoint, 503);
            }
        }

        Assert.Equal(4 - maxEjected, detector.Available().Length);
    }
}
