using Google.Protobuf.WellKnownTypes;
using Weft.Protocol.V1;
using ProtoRoute = Weft.Protocol.V1.Route;

namespace Weft.Proxy.Tests.TestSupport;

/// <summary>Small builders for ProxyConfig protobuf messages.</summary>
internal static class Configs
{
    public static StringMatch Exact(string value) => new() { Exact = value };

    public static StringMatch Prefix(string value) => new() { Prefix = value };

    public static StringMatch Regex(string value) => new() { Regex = value };

    public static Cluster Cluster(string name, params string[] addresses)
    {
        var cluster = new Cluster { Name = name, ServiceFqdn = "svc.ns.svc.cluster.local", Port = 80 };
        foreach (var address in addresses)
        {
            cluster.Endpoints.Add(new Endpoint { Address = address, Workload = "w-" + address, Namespace = "ns" });
        }

        return cluster;
    }

    public static ProtoRoute Route(string name, string cluster, params RouteMatch[] matches)
    {
        var route = new ProtoRoute { Name = name, Source = "ns/vs/0" };
        route.Matches.Add(matches);
        route.Destinations.Add(new WeightedCluster { Cluster = cluster });
        return route;
    }

    public static VirtualHost Host(string name, uint port, string[] domains, params ProtoRoute[] routes)
    {
        var host = new VirtualHost
        {
            Name = name,
            Port = port,
            ServiceFqdn = domains[^1],
            ServiceName = domains[0],
            ServiceNamespace = "ns",
        };
        host.Domains.Add(domains);
        host.Routes.Add(routes);
        return host;
    }

    public static Duration Seconds(double seconds) => Duration.FromTimeSpan(TimeSpan.FromSeconds(seconds));
}
