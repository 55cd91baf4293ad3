using System.Diagnostics.CodeAnalysis;
using Weft.Protocol.V1;

namespace Weft.Proxy.Routing;

/// <summary>
/// The outbound routing table of one <see cref="ProxyConfig"/> snapshot: virtual hosts by (domain, port),
/// and the clusters they send to. Immutable; a new snapshot builds a new table which is swapped in whole.
/// </summary>
internal sealed class RouteTable
{
    // Domain (case-insensitive) → the virtual hosts that domain reaches, one per port.
    private readonly Dictionary<string, PortBinding[]> _hosts;
    private readonly Dictionary<string, PortBinding[]>.AlternateLookup<ReadOnlySpan<char>> _hostsBySpan;
    private readonly Dictionary<string, CompiledCluster> _clusters;
    // Service virtual IP and port → its virtual host: where a captured connection was headed.
    private readonly Dictionary<System.Net.IPEndPoint, CompiledVirtualHost> _hostsByAddress;

    private RouteTable(
        string version,
        CompiledVirtualHost[] virtualHosts,
        Dictionary<string, PortBinding[]> hosts,
        Dictionary<string, CompiledCluster> clusters,
        Dictionary<System.Net.IPEndPoint, CompiledVirtualHost> hostsByAddress)
    {
        _hostsByAddress = hostsByAddress;
        Version = version;
        VirtualHosts = virtualHosts;
        _hosts = hosts;
        _hostsBySpan = hosts.GetAlternateLookup<ReadOnlySpan<char>>();
        _clusters = clusters;
    }

    public string Version { get; }

    public IReadOnlyList<CompiledVirtualHost> VirtualHosts { get; }

    public IReadOnlyCollection<CompiledCluster> Clusters => _clusters.Values;

    public static RouteTable Build(ProxyConfig config, RouteTable? previous = null) => Build(config, TimeProvider.System, previous);

    /// <param name="previous">The table this one replaces: its clusters' endpoint state carries over.</param>
    /// <exception cref="ProxyConfigException">The config is not self-consistent.</exception>
    public static RouteTable Build(ProxyConfig config, TimeProvider timeProvider, RouteTable? previous = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(timeProvider);

        var clusters = new Dictionary<string, CompiledCluster>(config.Clusters.Count, StringComparer.Ordinal);
        foreach (var cluster in config.Clusters)
        {
            if (!clusters.TryAdd(cluster.Name, CompiledCluster.Build(cluster, timeProvider, previous?._clusters.GetValueOrDefault(cluster.Name))))
            {
                throw new ProxyConfigException($"Duplicate cluster '{cluster.Name}'.");
            }
        }

        var virtualHosts = new CompiledVirtualHost[config.Outbound.Count];
        var bindings = new Dictionary<string, List<PortBinding>>(StringComparer.OrdinalIgnoreCase);
        var byAddress = new Dictionary<System.Net.IPEndPoint, CompiledVirtualHost>();
        for (var i = 0; i < virtualHosts.Length; i++)
        {
            var host = CompiledVirtualHost.Build(config.Outbound[i], clusters);
            virtualHosts[i] = host;
            foreach (var address in config.Outbound[i].Addresses)
            {
                if (!System.Net.IPAddress.TryParse(address, out var ip))
                {
                    throw new ProxyConfigException($"Virtual host '{host.Name}': address '{address}' is not an IP address.");
                }

                byAddress.TryAdd(new System.Net.IPEndPoint(ip, host.Port), host);
            }
            foreach (var domain in host.Domains)
            {
                if (!bindings.TryGetValue(domain, out var ports))
                {
                    bindings[domain] = ports = [];
                }

                // The first virtual host that claims a (domain, port) keeps it.
                if (!ports.Exists(binding => binding.Port == host.Port))
                {
                    ports.Add(new PortBinding(host.Port, host));
                }
            }
        }

        var hosts = new Dictionary<string, PortBinding[]>(bindings.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (domain, ports) in bindings)
        {
            hosts[domain] = [.. ports];
        }

        return new RouteTable(config.Version, virtualHosts, hosts, clusters, byAddress);
    }

    /// <summary>
    /// The virtual host addressed by <paramref name="authority"/> (Host header or absolute-URI authority):
    /// the host is compared case-insensitively with the domains, the port (80 when absent) with the
    /// virtual host's port. Does not allocate.
    /// </summary>
    public bool TryFindVirtualHost(string authority, [MaybeNullWhen(false)] out CompiledVirtualHost host)
    {
        if (Authority.TryParse(authority, out var name, out var port)
            && _hostsBySpan.TryGetValue(name, out var ports))
        {
            for (var i = 0; i < ports.Length; i++)
            {
                if (ports[i].Port == port)
                {
                    host = ports[i].Host;
                    return true;
                }
            }
        }

        host = null;
        return false;
    }

    /// <summary>The virtual host of the service whose virtual IP and port <paramref name="destination"/> is.</summary>
    public bool TryFindVirtualHost(System.Net.IPEndPoint destination, [MaybeNullWhen(false)] out CompiledVirtualHost host) =>
        _hostsByAddress.TryGetValue(destination, out host);

    public bool TryGetCluster(string name, [MaybeNullWhen(false)] out CompiledCluster cluster) =>
        _clusters.TryGetValue(name, out cluster);

    private readonly record struct PortBinding(int Port, CompiledVirtualHost Host);
}
