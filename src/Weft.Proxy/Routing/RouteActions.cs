using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Weft.Protocol.V1;
using ProtoRoute = Weft.Protocol.V1.Route;

namespace Weft.Proxy.Routing;

/// <summary>
/// What a route does to a request besides choosing its destination — Istio's fault, headers,
/// rewrite and redirect — compiled once per config.
/// </summary>
internal sealed class RouteActions
{
    private string[] _rewritablePrefixes = [];

    public TimeSpan Delay { get; private init; }
    public double DelayPercent { get; private init; }
    public int AbortStatus { get; private init; }
    public double AbortPercent { get; private init; }
    public HeaderEdits? RequestHeaders { get; private init; }
    public HeaderEdits? ResponseHeaders { get; private init; }
    public string? RewriteUri { get; private init; }
    public string? RewriteAuthority { get; private init; }
    public Redirect? Redirect { get; private init; }

    public static RouteActions? Build(ProtoRoute route, CompiledRouteMatch[] matches)
    {
        if (route.Fault is null && route.RequestHeaders is null && route.ResponseHeaders is null && route.Rewrite is null && route.Redirect is null)
        {
            return null;
        }

        var prefixes = new List<string>();
        if (!string.IsNullOrEmpty(route.Rewrite?.Prefix))
        {
            prefixes.Add(route.Rewrite.Prefix);
        }

        foreach (var match in matches)
        {
            if (match.UriPrefix is { } prefix)
            {
                prefixes.Add(prefix);
            }
        }

        return new RouteActions
        {
            Delay = route.Fault?.Delay?.ToTimeSpan() ?? TimeSpan.Zero,
            DelayPercent = route.Fault?.Delay is null ? 0 : route.Fault.DelayPercent,
            AbortStatus = (int)(route.Fault?.AbortStatus ?? 0),
            AbortPercent = route.Fault?.AbortStatus is > 0 ? route.Fault.AbortPercent : 0,
            RequestHeaders = HeaderEdits.Build(route.RequestHeaders),
            ResponseHeaders = HeaderEdits.Build(route.ResponseHeaders),
            RewriteUri = string.IsNullOrEmpty(route.Rewrite?.Uri) ? null : route.Rewrite.Uri,
            RewriteAuthority = string.IsNullOrEmpty(route.Rewrite?.Authority) ? null : route.Rewrite.Authority,
            Redirect = route.Redirect,
            _rewritablePrefixes = [.. prefixes],
        };
    }

    /// <summary>The path after a uri rewrite: the matched prefix is replaced, or the whole path when it matched otherwise.</summary>
    public string RewritePath(string path)
    {
        foreach (var prefix in _rewritablePrefixes)
        {
            if (path.StartsWith(prefix, StringComparison.Ordinal))
            {
                // Joining "/" or "/v2/" with the rest of the path must not make "//".
                var rest = path.AsSpan(prefix.Length);
                if (RewriteUri!.EndsWith('/') && rest.StartsWith("/"))
                {
                    rest = rest[1..];
                }

                var rewritten = string.Concat(RewriteUri, rest);
                return rewritten.Length == 0 ? "/" : rewritten;
            }
        }

        return RewriteUri!;
    }

    /// <summary>Where a redirect sends the client: the parts the route sets, the request's for the rest.</summary>
    public string RedirectLocation(HttpRequest request)
    {
        var redirect = Redirect!;
        var scheme = string.IsNullOrEmpty(redirect.Scheme) ? request.Scheme : redirect.Scheme;
        var authority = string.IsNullOrEmpty(redirect.Authority) ? request.Host.Host : redirect.Authority;
        var port = redirect.Port > 0 ? $":{redirect.Port}" : string.IsNullOrEmpty(redirect.Authority) && request.Host.Port is { } p ? $":{p}" : "";
        var path = string.IsNullOrEmpty(redirect.Uri) ? request.Path.Value : redirect.Uri;
        return $"{scheme}://{authority}{port}{path}{request.QueryString}";
    }
}

/// <summary>Header set/add/remove, applied in Istio's order: remove, then set, then add.</summary>
internal sealed class HeaderEdits
{
    private readonly (string Name, string Value)[] _set;
    private readonly (string Name, string Value)[] _add;
    private readonly string[] _remove;

    private HeaderEdits((string, string)[] set, (string, string)[] add, string[] remove)
    {
        _set = set;
        _add = add;
        _remove = remove;
    }

    public static HeaderEdits? Build(HeaderOperations? operations) =>
        operations is null
            ? null
            : new HeaderEdits(
                operations.Set.Select(kv => (kv.Key, kv.Value)).ToArray(),
                operations.Add.Select(kv => (kv.Key, kv.Value)).ToArray(),
                [.. operations.Remove]);

    public void Apply(HttpHeaders headers)
    {
        foreach (var name in _remove)
        {
            headers.Remove(name);
        }

        foreach (var (name, value) in _set)
        {
            headers.Remove(name);
            headers.TryAddWithoutValidation(name, value);
        }

        foreach (var (name, value) in _add)
        {
            headers.TryAddWithoutValidation(name, value);
        }
    }

    public void Apply(IHeaderDictionary headers)
    {
        foreach (var name in _remove)
        {
            headers.Remove(name);
        }

        foreach (var (name, value) in _set)
        {
            headers[name] = value;
        }

        foreach (var (name, value) in _add)
        {
            headers.Append(name, value);
        }
    }
}

/// <summary>Where a route mirrors requests to, and which share of them.</summary>
internal sealed record CompiledMirror(CompiledCluster Cluster, double Percent);
