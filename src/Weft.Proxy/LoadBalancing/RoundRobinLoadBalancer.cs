namespace Weft.Proxy.LoadBalancing;

/// <summary>Cycles through the endpoints in order. Stateful: one instance per cluster.</summary>
internal sealed class RoundRobinLoadBalancer : ILoadBalancer
{
    private int _next = -1;

    public EndpointState? Pick(EndpointState[] endpoints, IRandomSource random)
    {
        if (endpoints.Length == 0)
        {
            return null;
        }

        var index = (uint)Interlocked.Increment(ref _next) % (uint)endpoints.Length;
        return endpoints[index];
    }
}
