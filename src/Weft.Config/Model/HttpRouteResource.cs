using System.Text.Json;

namespace Weft.Config.Model;

/// <summary>
/// Gateway API (gateway.networking.k8s.io) HTTPRoute. Weft reads it the GAMMA way: attached to a
/// Service through parentRefs, it routes the mesh traffic addressed to that Service.
/// </summary>
public sealed class HttpRouteResource : Resource<HttpRouteSpec>;

public sealed class HttpRouteSpec
{
    public List<ParentReference> ParentRefs { get; init; } = [];
    public List<string>? Hostnames { get; init; }
    public List<HttpRouteRule> Rules { get; init; } = [];
}

public sealed class ParentReference
{
    public string? Group { get; init; }
    public string? Kind { get; init; }
    public string Name { get; init; } = "";
    public string? Namespace { get; init; }
    public int? Port { get; init; }
    public string? SectionName { get; init; }
}

public sealed class HttpRouteRule
{
    public string? Name { get; init; }
    public List<HttpRouteMatch>? Matches { get; init; }
    public List<HttpRouteFilter>? Filters { get; init; }
    public List<HttpBackendRef>? BackendRefs { get; init; }
    public HttpRouteTimeouts? Timeouts { get; init; }
    public JsonElement? Retry { get; init; }
    public JsonElement? SessionPersistence { get; init; }
}

public sealed class HttpRouteMatch
{
    public HttpPathMatch? Path { get; init; }
    public List<HttpNameValueMatch>? Headers { get; init; }
    public List<HttpNameValueMatch>? QueryParams { get; init; }
    public string? Method { get; init; }
}

public sealed class HttpPathMatch
{
    /// <summary>Exact, PathPrefix (the default) or RegularExpression.</summary>
    public string? Type { get; init; }
    public string? Value { get; init; }
}

public sealed class HttpNameValueMatch
{
    /// <summary>Exact (the default) or RegularExpression.</summary>
    public string? Type { get; init; }
    public string Name { get; init; } = "";
    public string Value { get; init; } = "";
}

public sealed class HttpRouteFilter
{
    /// <summary>RequestHeaderModifier, ResponseHeaderModifier, URLRewrite, RequestRedirect, RequestMirror (others unsupported).</summary>
    public string Type { get; init; } = "";
    public HttpHeaderFilter? RequestHeaderModifier { get; init; }
    public HttpHeaderFilter? ResponseHeaderModifier { get; init; }
    public HttpUrlRewriteFilter? UrlRewrite { get; init; }
    public HttpRequestRedirectFilter? RequestRedirect { get; init; }
    public HttpRequestMirrorFilter? RequestMirror { get; init; }
    public JsonElement? ExtensionRef { get; init; }
    public JsonElement? Cors { get; init; }
}

public sealed class HttpHeaderFilter
{
    public List<HttpHeaderValue>? Set { get; init; }
    public List<HttpHeaderValue>? Add { get; init; }
    public List<string>? Remove { get; init; }
}

public sealed class HttpHeaderValue
{
    public string Name { get; init; } = "";
    public string Value { get; init; } = "";
}

public sealed class HttpUrlRewriteFilter
{
    public string? Hostname { get; init; }
    public HttpPathModifier? Path { get; init; }
}

public sealed class HttpPathModifier
{
    /// <summary>ReplaceFullPath or ReplacePrefixMatch.</summary>
    public string Type { get; init; } = "";
    public string? ReplaceFullPath { get; init; }
    public string? ReplacePrefixMatch { get; init; }
}

public sealed class HttpRequestRedirectFilter
{
    public string? Scheme { get; init; }
    public string? Hostname { get; init; }
    public HttpPathModifier? Path { get; init; }
    public int? Port { get; init; }
    public int? StatusCode { get; init; }
}

public sealed class HttpRequestMirrorFilter
{
    public HttpBackendRef BackendRef { get; init; } = new();
    public int? Percent { get; init; }
    public JsonElement? Fraction { get; init; }
}

public sealed class HttpBackendRef
{
    public string? Group { get; init; }
    public string? Kind { get; init; }
    public string Name { get; init; } = "";
    public string? Namespace { get; init; }
    public int? Port { get; init; }
    public int? Weight { get; init; }
    /// <summary>Per-backend filters: RequestHeaderModifier and ResponseHeaderModifier are applied; other types are reported.</summary>
    public List<HttpRouteFilter>? Filters { get; init; }
}

public sealed class HttpRouteTimeouts
{
    public Duration? Request { get; init; }
    public Duration? BackendRequest { get; init; }
}

/// <summary>Gateway API GRPCRoute, attached to a Service like an HTTPRoute; matches name a gRPC service and method.</summary>
public sealed class GrpcRouteResource : Resource<GrpcRouteSpec>;

public sealed class GrpcRouteSpec
{
    public List<ParentReference> ParentRefs { get; init; } = [];
    public List<string>? Hostnames { get; init; }
    public List<GrpcRouteRule> Rules { get; init; } = [];
}

public sealed class GrpcRouteRule
{
    public string? Name { get; init; }
    public List<GrpcRouteMatch>? Matches { get; init; }
    public List<HttpRouteFilter>? Filters { get; init; }
    public List<HttpBackendRef>? BackendRefs { get; init; }
    public JsonElement? SessionPersistence { get; init; }
}

public sealed class GrpcRouteMatch
{
    public GrpcMethodMatch? Method { get; init; }
    public List<HttpNameValueMatch>? Headers { get; init; }
}

public sealed class GrpcMethodMatch
{
    /// <summary>Exact (the default) or RegularExpression.</summary>
    public string? Type { get; init; }
    public string? Service { get; init; }
    public string? Method { get; init; }
}
