using Weft.Proxy.LoadBalancing;
using Weft.Proxy.Resilience;
using ProtoRoute = Weft.Protocol.V1.Route;

namespace Weft.Proxy.Routing;

/// <summary>
/// One route of a virtual host: its matches, its weighted destinations, and its retry/timeout policy.
/// </summary>
internal sealed class CompiledRoute
{
    private readonly CompiledRouteMatch[] _matches;
    private readonly CompiledCluster[] _destinations;
    private readonly uint[] _cumulativeWeights; // running sum of weights, aligned with _destinations
    private DestinationHeaders?[]? _destinationHeaders; // aligned with _destinations; null when no destination has any
    private readonly int _totalWeight;

    private CompiledRoute(
        ProtoRoute route,
        CompiledRouteMatch[] matches,
        CompiledCluster[] destinations,
        uint[] cumulativeWeights,
        int totalWeight,
        CompiledRetryPolicy retries)
    {
        Source = route.Source;
        Name = route.Name;
        Timeout = route.Timeout?.ToTimeSpan() ?? TimeSpan.Zero;
        Retries = retries;
        _matches = matches;
        _destinations = destinations;
        _cumulativeWeights = cumulativeWeights;
        _totalWeight = totalWeight;
    }

    /// <summary>"&lt;namespace&gt;/&lt;virtual service&gt;" and the index of its http rule, or "default".</summary>
    public string Source { get; }

    public string Name { get; }

    public CompiledRetryPolicy Retries { get; }

    /// <summary>The route timeout; <see cref="TimeSpan.Zero"/> means none.</summary>
    public TimeSpan Timeout { get; }

    public IReadOnlyList<CompiledCluster> Destinations => _destinations;

    /// <summary>What the route does besides forwarding: fault injection, header operations, rewrite, redirect; null when nothing.</summary>
    public RouteActions? Actions { get; private init; }

    public CompiledMirror? Mirror { get; private init; }

    public static CompiledRoute Build(ProtoRoute route, IReadOnlyDictionary<string, CompiledCluster> clusters, string context)
    {
        context = $"{context} route '{route.Name}'";

        var matches = new CompiledRouteMatch[route.Matches.Count];
        for (var i = 0; i < matches.Length; i++)
        {
            matches[i] = CompiledRouteMatch.Build(route.Matches[i], $"{context} match {i}");
        }

        var count = route.Destinations.Count;
        if (count == 0 && route.Redirect is null)
        {
            throw new ProxyConfigException($"{context}: no destinations.");
        }

        var destinations = new CompiledCluster[count];
        DestinationHeaders?[]? destinationHeaders = null;
        var cumulative = new uint[count];
        long total = 0;
        for (var i = 0; i < count; i++)
        {
            var destination = route.Destinations[i];
            if (!clusters.TryGetValue(destination.Cluster, out var cluster))
            {
                throw new ProxyConfigException($"{context}: unknown cluster '{destination.Cluster}'.");
            }

            destinations[i] = cluster;
            if (DestinationHeaders.Build(destination) is { } headers)
            {
                destinationHeaders ??= new DestinationHeaders?[count];
                destinationHeaders[i] = headers;
            }

            total += destination.Weight;
            if (total > int.MaxValue)
            {
                throw new ProxyConfigException($"{context}: destination weights overflow.");
            }

            cumulative[i] = (uint)total;
        }

        if (total == 0 && count > 0)
        {
            // No weights at all (a single destination, or weights left out): split evenly.
            for (var i = 0; i < count; i++)
            {
                cumulative[i] = (uint)(i + 1);
            }

            total = count;
        }

        CompiledMirror? mirror = null;
        if (route.Mirror is { } mirrorConfig)
        {
            mirror = clusters.TryGetValue(mirrorConfig.Cluster, out var mirrorCluster)
                ? new CompiledMirror(mirrorCluster, mirrorConfig.Percent)
                : throw new ProxyConfigException($"{context}: unknown mirror cluster '{mirrorConfig.Cluster}'.");
        }

        var compiled = new CompiledRoute(route, matches, destinations, cumulative, (int)total, CompiledRetryPolicy.Build(route.Retries))
        {
            Actions = RouteActions.Build(route, matches),
            Mirror = mirror,
            _destinationHeaders = destinationHeaders,
        };
        compiled.CarriedByHttp1Engine = compiled.Actions is null && mirror is null && destinationHeaders is null
            && compiled.Timeout == TimeSpan.Zero && compiled.Retries.PerTryTimeout == TimeSpan.Zero
            && Array.TrueForAll(destinations, d => d.Hash is null && d.Connections == Forwarding.UpstreamConnectionSettings.Default);
        return compiled;
    }

    /// <summary>
    /// Weft's HTTP/1.1 engine forwards this route's requests (decided when the snapshot is compiled):
    /// routes with actions (fault, redirect, rewrite, header edits), mirrors, timeouts, consistent
    /// hashing or their own connection settings keep the Kestrel/YARP path for now.
    /// </summary>
    public bool CarriedByHttp1Engine { get; private set; }

    /// <summary>Whether any match accepts the request (a route without matches accepts every request).</summary>
    public bool IsMatch(string method, ReadOnlySpan<char> path, IHeaderDictionary headers, IQueryCollection? query = null)
    {
        var matches = _matches;
        if (matches.Length == 0)
        {
            return true;
        }

        for (var i = 0; i < matches.Length; i++)
        {
            if (matches[i].IsMatch(method, path, headers, query))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Chooses a destination cluster by weight; a destination with weight 0 is never chosen.</summary>
    public CompiledCluster PickDestination(IRandomSource random) => _destinations[PickIndex(random)];

    /// <summary>A weighted choice of destination, with the header operations that destination adds (null when none).</summary>
    public CompiledCluster PickDestination(IRandomSource random, out DestinationHeaders? headers)
    {
        var index = PickIndex(random);
        headers = _destinationHeaders?[index];
        return _destinations[index];
    }

    private int PickIndex(IRandomSource random)
    {
        if (_destinations.Length == 1)
        {
            return 0;
        }

        var ticket = (uint)random.Next(_totalWeight);
        var cumulative = _cumulativeWeights;
        for (var i = 0; i < cumulative.Length; i++)
        {
            if (ticket < cumulative[i])
            {
                return i;
            }
        }

        return cumulative.Length - 1;
    }

    public override string ToString() => $"{Source} {Name}";
}
