using Weft.Config.Loading;
using System.Text.Json;

namespace Weft.Config.Model;

/// <summary>networking.istio.io DestinationRule: subsets and traffic policy of a host.</summary>
public sealed class DestinationRule : Resource<DestinationRuleSpec>;

public sealed class DestinationRuleSpec
{
    public string Host { get; init; } = "";
    public TrafficPolicy? TrafficPolicy { get; init; }
    public List<Subset> Subsets { get; init; } = [];
    [NotImplemented]
    public List<string>? ExportTo { get; init; }
    [NotImplemented]
    public WorkloadSelector? WorkloadSelector { get; init; }
}

public sealed class Subset
{
    public string Name { get; init; } = "";
    public Dictionary<string, string> Labels { get; init; } = [];
    public TrafficPolicy? TrafficPolicy { get; init; }
}

public sealed class TrafficPolicy
{
    public LoadBalancerSettings? LoadBalancer { get; init; }
    public ConnectionPoolSettings? ConnectionPool { get; init; }
    public OutlierDetection? OutlierDetection { get; init; }
    public JsonElement? Tls { get; init; }
    public JsonElement? PortLevelSettings { get; init; }
    public JsonElement? Tunnel { get; init; }
    public JsonElement? ProxyProtocol { get; init; }
    public JsonElement? RetryBudget { get; init; }
}

public sealed class LoadBalancerSettings
{
    /// <summary>LEAST_REQUEST (the default), ROUND_ROBIN, RANDOM, PASSTHROUGH, UNSPECIFIED.</summary>
    public string? Simple { get; init; }
    public ConsistentHashSettings? ConsistentHash { get; init; }
    public JsonElement? LocalityLbSetting { get; init; }
    public JsonElement? WarmupDurationSecs { get; init; }
    public JsonElement? Warmup { get; init; }
}

public sealed class WorkloadSelector
{
    public Dictionary<string, string> MatchLabels { get; init; } = [];
}

public sealed class ConsistentHashSettings
{
    public string? HttpHeaderName { get; init; }
    public HttpCookie? HttpCookie { get; init; }
    public bool? UseSourceIp { get; init; }
    public JsonElement? HttpQueryParameterName { get; init; }
    public JsonElement? RingHash { get; init; }
    public JsonElement? Maglev { get; init; }
    public JsonElement? MinimumRingSize { get; init; }
}

public sealed class HttpCookie
{
    public string Name { get; init; } = "";
    public string? Path { get; init; }
    public Duration? Ttl { get; init; }
    public JsonElement? Attributes { get; init; }
}

public sealed class ConnectionPoolSettings
{
    public TcpSettings? Tcp { get; init; }
    public HttpSettings? Http { get; init; }
}

public sealed class TcpSettings
{
    public int? MaxConnections { get; init; }
    public Duration? ConnectTimeout { get; init; }
    public JsonElement? TcpKeepalive { get; init; }
    public Duration? MaxConnectionDuration { get; init; }
    public JsonElement? IdleTimeout { get; init; }
}

public sealed class HttpSettings
{
    public int? Http1MaxPendingRequests { get; init; }
    public int? Http2MaxRequests { get; init; }
    /// <summary>Weft enforces 0 (unlimited) and 1 (keep-alive off); the analyzer flags other values.</summary>
    public int? MaxRequestsPerConnection { get; init; }
    public JsonElement? MaxRetries { get; init; }
    public Duration? IdleTimeout { get; init; }
    public JsonElement? H2UpgradePolicy { get; init; }
    public JsonElement? UseClientProtocol { get; init; }
    public JsonElement? MaxConcurrentStreams { get; init; }
}

/// <summary>Istio's OutlierDetection; when the block is present, unset fields take Istio's defaults.</summary>
public sealed class OutlierDetection
{
    public int? Consecutive5xxErrors { get; init; }
    public int? ConsecutiveGatewayErrors { get; init; }
    public JsonElement? ConsecutiveLocalOriginFailures { get; init; }
    public JsonElement? SplitExternalLocalOriginErrors { get; init; }
    public Duration? Interval { get; init; }
    public Duration? BaseEjectionTime { get; init; }
    public int? MaxEjectionPercent { get; init; }
    public JsonElement? MinHealthPercent { get; init; }
    public JsonElement? ConsecutiveErrors { get; init; }
}
