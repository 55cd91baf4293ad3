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
    public JsonElement? ConnectionPool { get; init; }
    public JsonElement? OutlierDetection { get; init; }
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
    public JsonElement? ConsistentHash { get; init; }
    public JsonElement? LocalityLbSetting { get; init; }
    public JsonElement? WarmupDurationSecs { get; init; }
    public JsonElement? Warmup { get; init; }
}

public sealed class WorkloadSelector
{
    public Dictionary<string, string> MatchLabels { get; init; } = [];
}
