using System.Text.Json;

namespace Weft.Proxy.Authentication;

/// <summary>
/// Who a validated JWT says the caller is — what AuthorizationPolicies see as
/// <c>requestPrincipals</c> and <c>request.auth.*</c>.
/// </summary>
internal sealed class RequestIdentity(string principal, string[] audiences, string? presenter, JsonElement claims)
{
    /// <summary>"&lt;iss&gt;/&lt;sub&gt;", Istio's request principal.</summary>
    public string Principal { get; } = principal;

    public string[] Audiences { get; } = audiences;

    /// <summary>The authorized party (azp claim), if any.</summary>
    public string? Presenter { get; } = presenter;

    /// <summary>The token's payload.</summary>
    public JsonElement Claims { get; } = claims;

    /// <summary>
    /// Follows a claim path (["groups"], or ["nested", "key"] for <c>request.auth.claims[nested][key]</c>);
    /// false when a step is missing.
    /// </summary>
    public bool TryGetClaim(string[] path, out JsonElement value)
    {
        value = Claims;
        foreach (var step in path)
        {
            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(step, out value))
            {
                return false;
            }
        }

        return true;
    }
}
