using Weft.Protocol.V1;

namespace Weft.Proxy.Routing;

/// <summary>One RouteMatch: every present condition (uri, method, each header) must hold.</summary>
internal sealed class CompiledRouteMatch
{
    private readonly CompiledStringMatch? _uri;
    private readonly CompiledStringMatch? _method;
    private readonly CompiledHeaderMatch[] _headers;
    private CompiledHeaderMatch[] _withoutHeaders = [];
    private (string Name, CompiledStringMatch? Value)[] _queryParams = [];

    private CompiledRouteMatch(string name, CompiledStringMatch? uri, CompiledStringMatch? method, CompiledHeaderMatch[] headers)
    {
        Name = name;
        _uri = uri;
        _method = method;
        _headers = headers;
    }

    public string Name { get; }

    /// <summary>The uri prefix this match requires, if it is a prefix match: a uri rewrite replaces it.</summary>
    public string? UriPrefix { get; private init; }

    public static CompiledRouteMatch Build(RouteMatch match, string context)
    {
        var uri = CompiledStringMatch.Build(match.Uri, match.IgnoreUriCase, $"{context} uri");
        var method = CompiledStringMatch.Build(match.Method, ignoreCase: false, $"{context} method");
        var headers = new CompiledHeaderMatch[match.Headers.Count];
        for (var i = 0; i < headers.Length; i++)
        {
            headers[i] = CompiledHeaderMatch.Build(match.Headers[i], context);
        }

        var withoutHeaders = new CompiledHeaderMatch[match.WithoutHeaders.Count];
        for (var i = 0; i < withoutHeaders.Length; i++)
        {
            withoutHeaders[i] = CompiledHeaderMatch.Build(match.WithoutHeaders[i], context);
        }

        var queryParams = new (string, CompiledStringMatch?)[match.QueryParams.Count];
        for (var i = 0; i < queryParams.Length; i++)
        {
            queryParams[i] = (match.QueryParams[i].Name, CompiledStringMatch.Build(match.QueryParams[i].Value, ignoreCase: false, $"{context} query {match.QueryParams[i].Name}"));
        }

        return new CompiledRouteMatch(match.Name, uri, method, headers)
        {
            _withoutHeaders = withoutHeaders,
            _queryParams = queryParams,
            UriPrefix = match.Uri?.KindCase == StringMatch.KindOneofCase.Prefix ? match.Uri.Prefix : null,
        };
    }

    /// <param name="path">The request path without its query string.</param>
    public bool IsMatch(string method, ReadOnlySpan<char> path, IHeaderDictionary headers, IQueryCollection? query = null)
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

        var without = _withoutHeaders;
        for (var i = 0; i < without.Length; i++)
        {
            if (without[i].IsMatch(headers))
            {
                return false;
            }
        }

        var queryParams = _queryParams;
        for (var i = 0; i < queryParams.Length; i++)
        {
            if (query is null || !query.TryGetValue(queryParams[i].Name, out var values) || values.Count == 0
                || (queryParams[i].Value is { } value && !value.IsMatch(values[0])))
            {
                return false;
            }
        }

        return true;
    }
}
