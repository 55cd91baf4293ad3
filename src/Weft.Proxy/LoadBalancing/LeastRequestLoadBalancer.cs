namespace Weft.Proxy.LoadBalancing;

/// <summary>
/// Power of two choices over peak-EWMA cost, as Linkerd does: pick two distinct endpoints at random
/// and send to the one with the lower <see cref="EndpointState.Cost"/>
/// ((outstanding + 1) × decayed peak-EWMA latency). Stateless, so one instance serves every cluster.
/// </summary>
internal sealed class LeastRequestLoadBalancer : ILoadBalancer
{
    public static LeastRequestLoadBalancer Instance { get; } = new();

    private LeastRequestLoadBalancer()
    {
    }

    public EndpointState? Pick(EndpointState[] endpoints, IRandomSource random)
    {
        switch (endpoints.Length)
        {
            case 0:
                return null;
            case 1:
                return endpoints[0];
        }

        var first = random.Next(endpoints.Length);
        var second = random.Next(endpoints.Length - 1);
        if (second >= first)
        {
            second++;
        }

        var a = endpoints[first];
        var b = endpoints[second];
        return b.Cost() < a.Cost() ? b : a;
    }
}
