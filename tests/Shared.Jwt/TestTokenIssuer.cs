using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Weft.Tests.Shared;

/// <summary>A JWT issuer for tests: an ECDSA P-256 key, its JSON Web Key Set, and signed tokens.</summary>
internal sealed class TestTokenIssuer : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly string _keyId = Guid.NewGuid().ToString("N");

    public TestTokenIssuer(string issuer) => Issuer = issuer;

    public string Issuer { get; }

    /// <summary>The public key as a JSON Web Key Set, the way RequestAuthentication's jwks takes it.</summary>
    public string Jwks
    {
        get
        {
            var parameters = _key.ExportParameters(includePrivateParameters: false);
            var key = new Dictionary<string, string>
            {
                ["kty"] = "EC",
                ["crv"] = "P-256",
                ["x"] = Base64UrlEncoder.Encode(parameters.Q.X),
                ["y"] = Base64UrlEncoder.Encode(parameters.Q.Y),
                ["kid"] = _keyId,
                ["alg"] = "ES256",
                ["use"] = "sig",
            };
            return JsonSerializer.Serialize(new { keys = new[] { key } });
        }
    }

    public string Token(string subject, string? audience = null, TimeSpan? lifetime = null, IDictionary<string, object>? claims = null, DateTime? notBefore = null)
    {
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            IssuedAt = (notBefore ?? now).AddSeconds(-1),
            NotBefore = notBefore ?? now.AddSeconds(-1),
            Expires = (notBefore ?? now) + (lifetime ?? TimeSpan.FromHours(1)),
            Claims = new Dictionary<string, object>(claims ?? new Dictionary<string, object>()) { ["sub"] = subject },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(_key) { KeyId = _keyId }, SecurityAlgorithms.EcdsaSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    public void Dispose() => _key.Dispose();
}
