using System.Text.Json;

namespace Weft.Config.Model;

/// <summary>security.istio.io RequestAuthentication: which JWTs a workload accepts.</summary>
public sealed class RequestAuthentication : Resource<RequestAuthenticationSpec>;

public sealed class RequestAuthenticationSpec
{
    public WorkloadSelector? Selector { get; init; }
    public JsonElement? TargetRef { get; init; }
    public JsonElement? TargetRefs { get; init; }
    public List<JwtRule> JwtRules { get; init; } = [];
}

public sealed class JwtRule
{
    public string Issuer { get; init; } = "";
    public List<string>? Audiences { get; init; }
    public string? JwksUri { get; init; }
    /// <summary>An inline JSON Web Key Set, as a string.</summary>
    public string? Jwks { get; init; }
    public List<JwtHeader>? FromHeaders { get; init; }
    public List<string>? FromParams { get; init; }
    public JsonElement? FromCookies { get; init; }
    public string? OutputPayloadToHeader { get; init; }
    public bool? ForwardOriginalToken { get; init; }
    public List<ClaimToHeader>? OutputClaimToHeaders { get; init; }
    public JsonElement? Timeout { get; init; }
}

public sealed class JwtHeader
{
    public string Name { get; init; } = "";
    public string? Prefix { get; init; }
}

public sealed class ClaimToHeader
{
    public string Header { get; init; } = "";
    public string Claim { get; init; } = "";
}
