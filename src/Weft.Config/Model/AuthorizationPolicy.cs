using Weft.Config.Loading;
using System.Text.Json;

namespace Weft.Config.Model;

/// <summary>security.istio.io AuthorizationPolicy: who may call a workload, and how.</summary>
public sealed class AuthorizationPolicy : Resource<AuthorizationPolicySpec>;

public sealed class AuthorizationPolicySpec
{
    public WorkloadSelector? Selector { get; init; }
    public JsonElement? TargetRef { get; init; }
    public JsonElement? TargetRefs { get; init; }
    /// <summary>ALLOW (the default), DENY, AUDIT or CUSTOM.</summary>
    public string? Action { get; init; }
    public JsonElement? Provider { get; init; }
    public List<AuthorizationRule>? Rules { get; init; }
}

public sealed class AuthorizationRule
{
    public List<RuleFrom>? From { get; init; }
    public List<RuleTo>? To { get; init; }
    public List<Condition>? When { get; init; }
}

public sealed class RuleFrom
{
    public Source Source { get; init; } = new();
}

public sealed class Source
{
    public List<string>? Principals { get; init; }
    public List<string>? NotPrincipals { get; init; }
    public List<string>? RequestPrincipals { get; init; }
    public List<string>? NotRequestPrincipals { get; init; }
    public List<string>? Namespaces { get; init; }
    public List<string>? NotNamespaces { get; init; }
    public List<string>? IpBlocks { get; init; }
    public List<string>? NotIpBlocks { get; init; }
    public List<string>? RemoteIpBlocks { get; init; }
    public List<string>? NotRemoteIpBlocks { get; init; }
    [NotImplemented]
    public List<string>? ServiceAccounts { get; init; }
    [NotImplemented]
    public List<string>? NotServiceAccounts { get; init; }
}

public sealed class RuleTo
{
    public Operation Operation { get; init; } = new();
}

public sealed class Operation
{
    public List<string>? Hosts { get; init; }
    public List<string>? NotHosts { get; init; }
    public List<string>? Ports { get; init; }
    public List<string>? NotPorts { get; init; }
    public List<string>? Methods { get; init; }
    public List<string>? NotMethods { get; init; }
    public List<string>? Paths { get; init; }
    public List<string>? NotPaths { get; init; }
}

public sealed class Condition
{
    public string Key { get; init; } = "";
    public List<string>? Values { get; init; }
    public List<string>? NotValues { get; init; }
}
