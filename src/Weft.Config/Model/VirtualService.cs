using Weft.Config.Loading;
using System.Text.Json;

namespace Weft.Config.Model;

/// <summary>networking.istio.io VirtualService: how requests to a host are routed.</summary>
public sealed class VirtualService : Resource<VirtualServiceSpec>;

public sealed class VirtualServiceSpec
{
    public List<string> Hosts { get; init; } = [];
    [NotImplemented]
    public List<string>? Gateways { get; init; }
    public List<HttpRoute> Http { get; init; } = [];
    [NotImplemented]
    public List<string>? ExportTo { get; init; }
    // Valid Istio fields Weft does not implement yet: parsed so they can be reported, never ignored.
    public JsonElement? Tcp { get; init; }
    public JsonElement? Tls { get; init; }
}

public sealed class HttpRoute
{
    public string? Name { get; init; }
    public List<HttpMatchRequest>? Match { get; init; }
    public List<HttpRouteDestination> Route { get; init; } = [];
    public HttpRetry? Retries { get; init; }
    public Duration? Timeout { get; init; }
    public HttpRedirect? Redirect { get; init; }
    public JsonElement? DirectResponse { get; init; }
    public JsonElement? Delegate { get; init; }
    public HttpRewrite? Rewrite { get; init; }
    public HttpFaultInjection? Fault { get; init; }
    public Destination? Mirror { get; init; }
    public JsonElement? Mirrors { get; init; }
    public Percent? MirrorPercentage { get; init; }
    public JsonElement? MirrorPercent { get; init; }
    public JsonElement? CorsPolicy { get; init; }
    public Headers? Headers { get; init; }
}

public sealed class HttpRedirect
{
    public string? Uri { get; init; }
    public string? Authority { get; init; }
    public int? Port { get; init; }
    public string? Scheme { get; init; }
    public int? RedirectCode { get; init; }
    public JsonElement? DerivePort { get; init; }
}

public sealed class HttpRewrite
{
    public string? Uri { get; init; }
    public string? Authority { get; init; }
    public JsonElement? UriRegexRewrite { get; init; }
}

public sealed class HttpFaultInjection
{
    public FaultDelay? Delay { get; init; }
    public FaultAbort? Abort { get; init; }
}

public sealed class FaultDelay
{
    public Duration? FixedDelay { get; init; }
    public Percent? Percentage { get; init; }
    public JsonElement? Percent { get; init; }
    public JsonElement? ExponentialDelay { get; init; }
}

public sealed class FaultAbort
{
    public int? HttpStatus { get; init; }
    public JsonElement? GrpcStatus { get; init; }
    public JsonElement? Http2Error { get; init; }
    public Percent? Percentage { get; init; }
}

/// <summary>Istio's Percent: a value between 0 and 100. Absent means 100%.</summary>
public sealed class Percent
{
    public double Value { get; init; }
}

public sealed class Headers
{
    public HeaderOperations? Request { get; init; }
    public HeaderOperations? Response { get; init; }
}

public sealed class HeaderOperations
{
    public Dictionary<string, string>? Set { get; init; }
    public Dictionary<string, string>? Add { get; init; }
    public List<string>? Remove { get; init; }
}

public sealed class HttpMatchRequest
{
    public string? Name { get; init; }
    public StringMatch? Uri { get; init; }
    [NotImplemented]
    public StringMatch? Scheme { get; init; }
    public StringMatch? Method { get; init; }
    [NotImplemented]
    public StringMatch? Authority { get; init; }
    public Dictionary<string, StringMatch>? Headers { get; init; }
    public Dictionary<string, StringMatch>? WithoutHeaders { get; init; }
    public Dictionary<string, StringMatch>? QueryParams { get; init; }
    public int? Port { get; init; }
    public Dictionary<string, string>? SourceLabels { get; init; }
    [NotImplemented]
    public List<string>? Gateways { get; init; }
    public bool? IgnoreUriCase { get; init; }
    [NotImplemented]
    public string? SourceNamespace { get; init; }
    [NotImplemented]
    public string? StatPrefix { get; init; }
}

/// <summary>Istio's StringMatch: exactly one of exact, prefix or regex (or empty: presence).</summary>
public sealed class StringMatch
{
    public string? Exact { get; init; }
    public string? Prefix { get; init; }
    public string? Regex { get; init; }
}

public sealed class HttpRouteDestination
{
    public Destination Destination { get; init; } = new();
    public int? Weight { get; init; }
    public Headers? Headers { get; init; }
}

public sealed class Destination
{
    public string Host { get; init; } = "";
    public string? Subset { get; init; }
    public PortSelector? Port { get; init; }
}

public sealed class PortSelector
{
    public int Number { get; init; }
}

public sealed class HttpRetry
{
    public int Attempts { get; init; }
    public Duration? PerTryTimeout { get; init; }
    public string? RetryOn { get; init; }
    [NotImplemented]
    public bool? RetryRemoteLocalities { get; init; }
    public JsonElement? Backoff { get; init; }
}
