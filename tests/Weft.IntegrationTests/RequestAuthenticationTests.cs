using System.Net;
using System.Text.Json;
using Weft.Tests.Shared;

namespace Weft.IntegrationTests;

/// <summary>
/// RequestAuthentication and JWT-based authorization through real sidecars, applied to a running
/// mesh by writing the policies into its config directory.
/// </summary>
public sealed class RequestAuthenticationTests(RequestAuthenticationTests.Fixture fixture) : IClassFixture<RequestAuthenticationTests.Fixture>
{
    private const string Issuer = "https://issuer.weft.test";

    public sealed class Fixture : MeshFixture
    {
        public Fixture() : base("security")
        {
        }

        internal TestTokenIssuer Tokens { get; } = new(Issuer);

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            // Istio's pattern for "these paths need a token": validate any token, deny requests without one.
            await File.WriteAllTextAsync(Path.Combine(Mesh.ConfigDirectory, "jwt.yaml"), $"""
                apiVersion: security.istio.io/v1
                kind: RequestAuthentication
                metadata: {"{"}name: open-api-jwt, namespace: open{"}"}
                spec:
                  selector: {"{"}matchLabels: {"{"}app: open-api{"}}"}
                  jwtRules:
                  - issuer: {Issuer}
                    audiences: [open-api]
                    jwks: '{Tokens.Jwks}'
                    outputClaimToHeaders: [{"{"}header: x-jwt-subject, claim: sub{"}"}]
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {"{"}name: token-required, namespace: open{"}"}
                spec:
                  selector: {"{"}matchLabels: {"{"}app: open-api{"}}"}
                  action: DENY
                  rules:
                  - from: [{"{"}source: {"{"}notRequestPrincipals: ["*"]{"}}"}]
                    to: [{"{"}operation: {"{"}paths: ["/private/*"]{"}}"}]
                """);
        }

        public override async Task DisposeAsync()
        {
            Tokens.Dispose();
            await base.DisposeAsync();
        }
    }

    private readonly MeshProcess _mesh = fixture.Mesh;
    private readonly TestTokenIssuer _tokens = fixture.Tokens;

    private async Task<HttpResponseMessage> SendAsync(string path, string? token)
    {
        using var client = await _mesh.ClientOfAsync("client");
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://open-api.open" + path);
        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return await client.SendAsync(request);
    }

    private static string Reason(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-weft-reason", out var values) ? values.Single() : "";

    private async Task WaitForPoliciesAsync() =>
        await Eventually.TrueAsync(async () =>
        {
            using var response = await SendAsync("/private/x", "not.a.token");
            return response.StatusCode == HttpStatusCode.Unauthorized;
        }, TimeSpan.FromSeconds(15), "the RequestAuthentication to reach open-api's sidecar");

    [Fact]
    public async Task A_valid_token_reaches_the_app_with_its_claims_and_without_the_token()
    {
        await WaitForPoliciesAsync();
        using var response = await SendAsync("/private/x", _tokens.Token("alice", "open-api"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var headers = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("headers");
        Assert.Equal("alice", headers.GetProperty("x-jwt-subject").GetString());
        Assert.False(headers.TryGetProperty("authorization", out _)); // forwardOriginalToken: false
    }

    [Theory]
    [InlineData("expired", "expired")]
    [InlineData("wrong-audience", "audience")]
    [InlineData("forged", "signature")]
    public async Task An_invalid_token_is_refused_with_401_naming_the_policy(string kind, string reason)
    {
        await WaitForPoliciesAsync();
        using var forger = new TestTokenIssuer(Issuer);
        var token = kind switch
        {
            "expired" => _tokens.Token("alice", "open-api", lifetime: TimeSpan.FromMinutes(1), notBefore: DateTime.UtcNow.AddHours(-1)),
            "wrong-audience" => _tokens.Token("alice", "payments"),
            _ => forger.Token("alice", "open-api"),
        };
        using var response = await SendAsync("/", token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("jwt-invalid; policy=open/open-api-jwt", Reason(response));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(body.Contains(reason, StringComparison.Ordinal) || (kind == "forged" && body.Contains("key", StringComparison.Ordinal)), body);
    }

    [Fact]
    public async Task Without_a_token_only_the_paths_that_require_one_are_denied()
    {
        await WaitForPoliciesAsync();
        using var open = await SendAsync("/public", token: null);
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);

        using var denied = await SendAsync("/private/x", token: null);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("authz-denied; policy=open/token-required", Reason(denied));
    }
}
