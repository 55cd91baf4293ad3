using Weft.Protocol.V1;
using Weft.Proxy.LoadBalancing;

namespace Weft.Proxy.Routing;

/// <summary>
/// One upstream cluster (service port + subset) with its endpoints and load balancer. Built once per
/// snapshot and shared by every route that sends to it.
/// </summary>
internal sealed class CompiledCluster
{
    private CompiledCluster(Cluster cluster, EndpointState[] endpoints, ILoadBalancer loadBalancer)
    {
        Source = cluster;
        Name = cluster.Name;
        ServiceFqdn = cluster.ServiceFqdn;
        Subset = cluster.Subset;
        Port = (int)cluster.Port;
        Mtls = cluster.Mtls;
        Endpoints = endpoints;
        LoadBalancer = loadBalancer;
    }

    /// <summary>outbound|&lt;port&gt;|&lt;subset&gt;|&lt;service fqdn&gt;</summary>
    public string Name { get; }

    public string ServiceFqdn { get; }

    /// <summary>Empty when the cluster is the whole service.</summary>
    public string Subset { get; }

    public int Port { get; }

    /// <summary>Whether connections to the endpoints originate mTLS.</summary>
    public bool Mtls { get; }

    public EndpointState[] Endpoints { get; }

    public ILoadBalancer LoadBalancer { get; }

    /// <summary>Set when the cluster's DestinationRule has outlierDetection.</summary>
    public Resilience.OutlierDetector? Outlier { get; private init; }

    /// <summary>How connections to the endpoints are opened and pooled.</summary>
    public Forwarding.UpstreamConnectionSettings Connections { get; private init; } = Forwarding.UpstreamConnectionSettings.Default;

    /// <summary>Set when the cluster's DestinationRule has connectionPool limits.</summary>
    public Resilience.ClusterAdmission? Admission { get; private init; }

    /// <summary>Set when the cluster's DestinationRule asks for consistent hashing.</summary>
    public ConsistentHashBalancer? Hash { get; private init; }

    /// <summary>The endpoints load balancing may choose now (outlier detection takes some out).</summary>
    public EndpointState[] AvailableEndpoints => Outlier?.Available() ?? Endpoints;

    /// <summary>The cluster as the control plane sent it.</summary>
    public Cluster Source { get; }

    /// <summary>
    /// Compiles a cluster. With the same cluster from the config it replaces, the endpoints that did not
    /// change keep their load-balancing and outlier state, and unchanged connection-pool limits keep
    /// counting the requests already in flight: a config push must not hand an ejected endpoint traffic
    /// again or let a burst through a limit.
    /// </summary>
    public static CompiledCluster Build(Cluster cluster, TimeProvider timeProvider, CompiledCluster? previous = null)
    {
        var endpoints = new EndpointState[cluster.Endpoints.Count];
        for (var i = 0; i < endpoints.Length; i++)
        {
            try
            {
                endpoints[i] = previous?.FindEndpoint(cluster.Endpoints[i]) ?? new EndpointState(cluster.Endpoints[i], cluster.ServiceFqdn, timeProvider);
            }
            catch (ProxyConfigException ex)
            {
                throw new ProxyConfigException($"Cluster '{cluster.Name}': {ex.Message}", ex);
            }
        }

        ILoadBalancer loadBalancer = cluster.LoadBalancer switch
        {
            Weft.Protocol.V1.LoadBalancer.RoundRobin => new RoundRobinLoadBalancer(),
            Weft.Protocol.V1.LoadBalancer.Random => RandomLoadBalancer.Instance,
            _ => LeastRequestLoadBalancer.Instance,
        };
        return new CompiledCluster(cluster, endpoints, loadBalancer)
        {
            Outlier = cluster.OutlierDetection is { } outlier
                ? new Resilience.OutlierDetector(outlier, endpoints, timeProvider, Equals(previous?.Source.OutlierDetection, outlier) ? previous!.Outlier : null)
                : null,
            Admission = previous?.Admission is { } admission && Equals(previous.Source.ConnectionPool, cluster.ConnectionPool)
                ? admission
                : Resilience.ClusterAdmission.Build(cluster.ConnectionPool),
            Connections = Forwarding.UpstreamConnectionSettings.From(cluster.ConnectionPool),
            Hash = cluster.ConsistentHash is { } hash ? new ConsistentHashBalancer(hash) : null,
        };
    }

    private EndpointState? FindEndpoint(Weft.Protocol.V1.Endpoint endpoint)
    {
        foreach (var candidate in Endpoints)
        {
            if (candidate.Source.Equals(endpoint) && candidate.Labels.Service == ServiceFqdn)
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The endpoint for one attempt, or null when the cluster has none.</summary>
    public EndpointState? PickEndpoint(IRandomSource random) => LoadBalancer.Pick(AvailableEndpoints, random);

    /// <summary>The endpoint for one attempt of this request: hashed when the cluster asks for it, else balanced.</summary>
    public EndpointState? PickEndpoint(Microsoft.AspNetCore.Http.HttpContext context, IRandomSource random) =>
        Hash is { } hash ? hash.Pick(AvailableEndpoints, context, random) : LoadBalancer.Pick(AvailableEndpoints, random);

    public override string ToString() => Name;
}
