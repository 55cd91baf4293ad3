using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Weft.Protocol.V1;

namespace Weft.Proxy.Authentication;

/// <summary>
/// A workload's RequestAuthentication, compiled per config snapshot: finds a JWT where the rules say
/// (by default <c>Authorization: Bearer</c>, then the <c>access_token</c> query parameter), validates it
/// with Microsoft.IdentityModel against the rule of its issuer, and turns it into a
/// <see cref="RequestIdentity"/>. As in Istio, a request without a token passes (authorization decides
/// whether it needs one); a token that does not validate, or whose issuer no rule names, is refused.
/// </summary>
internal sealed class RequestAuthenticator
{
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };
    private static readonly TokenLocation[] DefaultLocations = [new("authorization", "Bearer ", null), new(null, null, "access_token")];

    private readonly CompiledRule[] _rules;

    private RequestAuthenticator(CompiledRule[] rules) => _rules = rules;

    /// <summary>Null when no RequestAuthentication applies: nothing to do per request.</summary>
    public static RequestAuthenticator? Build(IReadOnlyList<JwtRule> rules, JsonWebKeySetCache keySets)
    {
        if (rules.Count == 0)
        {
            return null;
        }

        var compiled = new CompiledRule[rules.Count];
        for (var i = 0; i < compiled.Length; i++)
        {
            compiled[i] = CompiledRule.Build(rules[i], keySets);
        }

        return new RequestAuthenticator(compiled);
    }

    public async ValueTask<AuthenticationOutcome> AuthenticateAsync(HttpRequest request)
    {
        string? unknownIssuer = null;
        foreach (var rule in _rules)
        {
            foreach (var location in rule.Locations)
            {
                var token = location.Read(request);
                if (token is null)
                {
                    continue;
                }

                JsonWebToken unvalidated;
                try
                {
                    unvalidated = Handler.ReadJsonWebToken(token);
                }
                catch (ArgumentException e)
                {
                    return AuthenticationOutcome.Invalid(rule.Source, $"the token in {location} is not a JWT: {e.Message}");
                }

                if (!string.Equals(unvalidated.Issuer, rule.Issuer, StringComparison.Ordinal))
                {
                    unknownIssuer ??= unvalidated.Issuer;
                    continue;
                }

                var result = await Handler.ValidateTokenAsync(token, rule.Parameters);
                if (!result.IsValid)
                {
                    return AuthenticationOutcome.Invalid(rule.Source, $"the token from {rule.Issuer} is not valid: {Describe(result.Exception)}");
                }

                var jwt = (JsonWebToken)result.SecurityToken;
                var identity = ToIdentity(jwt);
                rule.ApplyOutputs(request, location, jwt, identity);
                return AuthenticationOutcome.Valid(identity);
            }
        }

        return unknownIssuer is null
            ? AuthenticationOutcome.None
            : AuthenticationOutcome.Invalid(_rules[0].Source, $"no RequestAuthentication rule accepts tokens from issuer '{unknownIssuer}'");
    }

    private static RequestIdentity ToIdentity(JsonWebToken jwt)
    {
        var payload = Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload);
        using var document = JsonDocument.Parse(payload);
        var claims = document.RootElement.Clone();
        var presenter = jwt.TryGetPayloadValue<string>("azp", out var azp) ? azp : null;
        return new RequestIdentity($"{jwt.Issuer}/{jwt.Subject}", [.. jwt.Audiences], presenter, claims);
    }

    private static string Describe(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => "it has expired",
        SecurityTokenNotYetValidException => "it is not valid yet",
        SecurityTokenInvalidAudienceException => "its audience is not one the rule accepts",
        SecurityTokenSignatureKeyNotFoundException => "no key of the issuer's key set signed it",
        SecurityTokenInvalidSignatureException => "its signature does not verify",
        null => "unknown reason",
        _ => exception.Message.Split('\n')[0],
    };

    /// <summary>Where a token is read: a header (with a prefix to strip) or a query parameter.</summary>
    private sealed record TokenLocation(string? Header, string? Prefix, string? Parameter)
    {
        public string? Read(HttpRequest request)
        {
            if (Header is null && !request.QueryString.HasValue)
            {
                return null; // no query string: do not parse one (this runs for every request of the workload)
            }

            string? value = Header is not null ? request.Headers[Header].ToString() : request.Query[Parameter!].ToString();
            if (string.IsNullOrEmpty(value))
            {
                return null;
            }

            if (!string.IsNullOrEmpty(Prefix))
            {
                return value.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) ? value[Prefix.Length..].Trim() : null;
            }

            return value.Trim();
        }

        public override string ToString() => Header is not null ? $"header {Header}" : $"query parameter {Parameter}";
    }

    private sealed class CompiledRule
    {
        public required string Source { get; init; }
        public required string Issuer { get; init; }
        public required TokenLocation[] Locations { get; init; }
        public required TokenValidationParameters Parameters { get; init; }
        public bool ForwardOriginalToken { get; init; }
        public string? PayloadHeader { get; init; }
        public (string Header, string Claim)[] ClaimHeaders { get; init; } = [];

        public static CompiledRule Build(JwtRule rule, JsonWebKeySetCache keySets)
        {
            var locations = new List<TokenLocation>();
            locations.AddRange(rule.FromHeaders.Select(h => new TokenLocation(h.Name, h.Prefix, null)));
            locations.AddRange(rule.FromParams.Select(p => new TokenLocation(null, null, p)));
            var parameters = new TokenValidationParameters
            {
                ValidIssuer = rule.Issuer,
                ValidateAudience = rule.Audiences.Count > 0,
                ValidAudiences = rule.Audiences,
                ValidateLifetime = true,
                RequireExpirationTime = false, // as Envoy: a token without exp does not expire
                ClockSkew = TimeSpan.FromSeconds(60),
                RequireSignedTokens = true,
            };
            if (!string.IsNullOrEmpty(rule.Jwks))
            {
                try
                {
                    parameters.IssuerSigningKeys = new JsonWebKeySet(rule.Jwks).GetSigningKeys();
                }
                catch (ArgumentException e)
                {
                    throw new ProxyConfigException($"RequestAuthentication {rule.Source}: jwks for issuer {rule.Issuer} is not a key set: {e.Message}", e);
                }
            }
            else
            {
                var uri = rule.JwksUri;
                parameters.IssuerSigningKeyResolver = (_, _, _, _) => keySets.Get(uri) ?? [];
            }

            return new CompiledRule
            {
                Source = rule.Source,
                Issuer = rule.Issuer,
                Locations = locations.Count == 0 ? DefaultLocations : [.. locations],
                Parameters = parameters,
                ForwardOriginalToken = rule.ForwardOriginalToken,
                PayloadHeader = string.IsNullOrEmpty(rule.OutputPayloadToHeader) ? null : rule.OutputPayloadToHeader,
                ClaimHeaders = [.. rule.OutputClaimToHeaders.Select(c => (c.Header, c.Claim))],
            };
        }

        public void ApplyOutputs(HttpRequest request, TokenLocation location, JsonWebToken jwt, RequestIdentity identity)
        {
            if (!ForwardOriginalToken && location.Header is { } header)
            {
                request.Headers.Remove(header);
            }

            if (PayloadHeader is not null)
            {
                request.Headers[PayloadHeader] = jwt.EncodedPayload;
            }

            foreach (var (name, claim) in ClaimHeaders)
            {
                request.Headers.Remove(name);
                if (identity.Claims.TryGetProperty(claim, out var value) && value.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Null))
                {
                    request.Headers[name] = value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
                }
            }
        }
    }
}

/// <summary>The result of looking for and validating a request's JWT.</summary>
internal readonly struct AuthenticationOutcome
{
    public static AuthenticationOutcome None => default;

    public bool IsInvalid => Error is not null;

    /// <summary>Set when a valid token was found.</summary>
    public RequestIdentity? Identity { get; private init; }

    /// <summary>Why the token was refused; null when there was none or it was valid.</summary>
    public string? Error { get; private init; }

    /// <summary>The RequestAuthentication ("ns/name") that refused the token.</summary>
    public string? Policy { get; private init; }

    public static AuthenticationOutcome Valid(RequestIdentity identity) => new() { Identity = identity };

    public static AuthenticationOutcome Invalid(string policy, string error) => new() { Policy = policy, Error = error };
}
