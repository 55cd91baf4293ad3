namespace Weft.Proxy.LoadBalancing;

/// <summary>Picks an endpoint uniformly at random. Stateless, so one instance serves every cluster.</summary>
internal sealed class RandomLoadBalancer : ILoadBalancer
{
    public static RandomLoadBalancer Instance { get; } = new();

    private RandomLoadBalancer()
    {
    }

    public EndpointState? Pick(EndpointState[] endpoints, IRandomSource random) =>
        endpoints.Length == 0 ? null : endpoints[random.Next(endpoints.Length)];
}
