using Weft.Protocol.V1;

namespace Weft.Proxy.Routing;

/// <summary>One service port as seen from this workload, with its ordered routes.</summary>
internal sealed class CompiledVirtualHost
{
    private readonly CompiledRoute[] _routes;

    private CompiledVirtualHost(VirtualHost host, CompiledRoute[] routes)
    {
        Name = host.Name;
        ServiceFqdn = host.ServiceFqdn;
        ServiceName = host.ServiceName;
        ServiceNamespace = host.ServiceNamespace;
        Port = (int)host.Port;
        Domains = [.. host.Domains];
        IsOpaqueTcp = host.AppProtocol == "tcp";
        _routes = routes;
    }

    /// <summary>e.g. "payments.payments.svc.cluster.local:80".</summary>
    public string Name { get; }

    public string ServiceFqdn { get; }

    public string ServiceName { get; }

    public string ServiceNamespace { get; }

    public int Port { get; }

    public IReadOnlyList<string> Domains { get; }

    /// <summary>The port is declared TCP: a captured connection to it is relayed, never parsed as HTTP.</summary>
    public bool IsOpaqueTcp { get; }

    public IReadOnlyList<CompiledRoute> Routes => _routes;

    public static CompiledVirtualHost Build(VirtualHost host, IReadOnlyDictionary<string, CompiledCluster> clusters)
    {
        var context = $"Virtual host '{host.Name}'";
        var routes = new CompiledRoute[host.Routes.Count];
        for (var i = 0; i < routes.Length; i++)
        {
            routes[i] = CompiledRoute.Build(host.Routes[i], clusters, context);
        }

        return new CompiledVirtualHost(host, routes)
        {
            MatchesQueryParameters = host.Routes.Any(r => r.Matches.Any(m => m.QueryParams.Count > 0)),
            MatchesHeaders = host.Routes.Any(r => r.Matches.Any(m => m.Headers.Count > 0 || m.WithoutHeaders.Count > 0)),
        };
    }

    /// <summary>Some route matches on headers, so the HTTP/1.1 engine hands the matcher a header dictionary (it does not otherwise).</summary>
    public bool MatchesHeaders { get; private init; }

    /// <summary>Some route matches on query parameters, so the query must be parsed (it is not otherwise).</summary>
    public bool MatchesQueryParameters { get; private init; }

    /// <summary>
    /// The first route (in order) that accepts the request, or null (no-route).
    /// </summary>
    /// <param name="method">The request method, e.g. "GET".</param>
    /// <param name="path">The request path; anything from '?' on is ignored.</param>
    /// <param name="headers">The request headers.</param>
    public CompiledRoute? Match(string method, string path, IHeaderDictionary headers, IQueryCollection? query = null)
    {
        var pathOnly = path.AsSpan();
        var queryStart = pathOnly.IndexOf('?');
        if (queryStart >= 0)
        {
            pathOnly = pathOnly[..queryStart];
        }

        var routes = _routes;
        for (var i = 0; i < routes.Length; i++)
        {
            if (routes[i].IsMatch(method, pathOnly, headers, query))
            {
                return routes[i];
            }
        }

        return null;
    }

    public override string ToString() => Name;
}
