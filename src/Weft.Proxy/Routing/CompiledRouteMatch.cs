using Weft.Protocol.V1;

namespace Weft.Proxy.Routing;

/// <summary>One RouteMatch: every present condition (uri, method, each header) must hold.</summary>
internal sealed class CompiledRouteMatch
{
    private readonly CompiledStringMatch? _uri;
    private readonly CompiledStringMatch? _method;
    private readonly CompiledHeaderMatch[] _headers;

    private CompiledRouteMatch(string name, CompiledStringMatch? uri, CompiledStringMatch? method, CompiledHeaderMatch[] headers)
    {
        Name = name;
        _uri = uri;
        _method = method;
        _headers = headers;
    }

    public string Name { get; }

    public static CompiledRouteMatch Build(RouteMatch match, string context)
    {
        var uri = CompiledStringMatch.Build(match.Uri, match.IgnoreUriCase, $"{context} uri");
        var method = CompiledStringMatch.Build(match.Method, ignoreCase: false, $"{context} method");
        var headers = new CompiledHeaderMatch[match.Headers.Count];
        for (var i = 0; i < headers.Length; i++)
        {
            headers[i] = CompiledHeaderMatch.Build(match.Headers[i], context);
        }

        return new CompiledRouteMatch(match.Name, uri, method, headers);
    }

    /// <param name="path">The request path without its query string.</param>
    public bool IsMatch(string method, ReadOnlySpan<char> path, IHeaderDictionary headers)
    {
        if (_uri is not null && !_uri.IsMatch(path))
        {
            return false;
        }

        if (_method is not null && !_method.IsMatch(method))
        {
            return false;
        }

        var matchers = _headers;
        for (var i = 0; i < matchers.Length; i++)
        {
            if (!matchers[i].IsMatch(headers))
            {
                return false;
            }
        }

        return true;
    }
}
