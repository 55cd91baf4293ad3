namespace Weft.Proxy.LoadBalancing;

/// <summary>Chooses one endpoint of a cluster for a request.</summary>
internal interface ILoadBalancer
{
    /// <summary>The chosen endpoint, or null when <paramref name="endpoints"/> is empty.</summary>
    EndpointState? Pick(EndpointState[] endpoints, IRandomSource random);
}
