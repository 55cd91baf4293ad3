using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Protocol.V1;
using Weft.Proxy.Authentication;
using Weft.Tests.Shared;

namespace Weft.Proxy.Tests.Authentication;

/// <summary>RequestAuthentication jwtRules against real signed tokens.</summary>
public sealed class RequestAuthenticatorTests : IDisposable
{
    private const string Issuer = "https://issuer.test";
    private readonly TestTokenIssuer _issuer = new(Issuer);
    private readonly TestTokenIssuer _impostor = new(Issuer); // same issuer name, another key
    private readonly JsonWebKeySetCache _keySets = new(new HttpClient(), TimeProvider.System, NullLogger<JsonWebKeySetCache>.Instance);

    public void Dispose()
    {
        _issuer.Dispose();
        _impostor.Dispose();
        _keySets.Dispose();
    }

    private JwtRule Rule(Action<JwtRule>? configure = null)
    {
        var rule = new JwtRule { Source = "payments/jwt", Issuer = Issuer, Jwks = _issuer.Jwks };
        configure?.Invoke(rule);
        return rule;
    }

    private async Task<(AuthenticationOutcome Outcome, HttpRequest Request)> AuthenticateAsync(JwtRule rule, Action<HttpRequest> prepare)
    {
        var context = new DefaultHttpContext();
        prepare(context.Request);
        var authenticator = RequestAuthenticator.Build([rule], _keySets)!;
        return (await authenticator.AuthenticateAsync(context.Request), context.Request);
    }

    private static Action<HttpRequest> Bearer(string token) => r => r.Headers.Authorization = "Bearer " + token;

    [Fact]
    public async Task A_valid_token_names_the_request_principal_and_is_removed_before_the_app()
    {
        var (outcome, request) = await AuthenticateAsync(Rule(), Bearer(_issuer.Token("alice", claims: new Dictionary<string, object> { ["azp"] = "web" })));

        Assert.False(outcome.IsInvalid);
        Assert.Equal("https://issuer.test/alice", outcome.Identity!.Principal);
        Assert.Equal("web", outcome.Identity.Presenter);
        Assert.False(request.Headers.ContainsKey("authorization")); // forwardOriginalToken defaults to false
    }

    [Fact]
    public async Task Forward_original_token_keeps_it_and_outputs_copy_the_payload_and_claims()
    {
        var token = _issuer.Token("alice", claims: new Dictionary<string, object> { ["tier"] = "gold" });
        var rule = Rule(r =>
        {
            r.ForwardOriginalToken = true;
            r.OutputPayloadToHeader = "x-jwt-payload";
            r.OutputClaimToHeaders.Add(new JwtClaimToHeader { Header = "x-tier", Claim = "tier" });
        });
        var (outcome, request) = await AuthenticateAsync(rule, Bearer(token));

        Assert.NotNull(outcome.Identity);
        Assert.Equal("Bearer " + token, request.Headers.Authorization.ToString());
        Assert.Equal(token.Split('.')[1], request.Headers["x-jwt-payload"].ToString());
        Assert.Equal("gold", request.Headers["x-tier"].ToString());
    }

    public static TheoryData<string, string> InvalidTokens => new()
    {
        { "expired", "expired" },
        { "not-yet-valid", "not valid yet" },
        { "wrong-audience", "audience" },
        { "wrong-key", "key" },
        { "unknown-issuer", "issuer 'https://elsewhere.test'" },
        { "garbage", "not a JWT" },
    };

    [Theory]
    [MemberData(nameof(InvalidTokens))]
    public async Task An_invalid_token_is_refused_with_the_reason(string kind, string reason)
    {
        using var elsewhere = new TestTokenIssuer("https://elsewhere.test");
        var token = kind switch
        {
            "expired" => _issuer.Token("alice", "payments", lifetime: TimeSpan.FromMinutes(5), notBefore: DateTime.UtcNow.AddHours(-1)),
            "not-yet-valid" => _issuer.Token("alice", "payments", notBefore: DateTime.UtcNow.AddHours(1)),
            "wrong-audience" => _issuer.Token("alice", audience: "somebody-else"),
            "wrong-key" => _impostor.Token("alice", "payments"),
            "unknown-issuer" => elsewhere.Token("alice", "payments"),
            _ => "not.a.token",
        };
        var (outcome, _) = await AuthenticateAsync(Rule(r => r.Audiences.Add("payments")), Bearer(token));

        Assert.True(outcome.IsInvalid);
        Assert.Equal("payments/jwt", outcome.Policy);
        Assert.True(outcome.Error!.Contains(reason, StringComparison.Ordinal), outcome.Error);
    }

    [Fact]
    public async Task No_token_is_no_identity_and_not_an_error()
    {
        var (outcome, _) = await AuthenticateAsync(Rule(), _ => { });
        Assert.False(outcome.IsInvalid);
        Assert.Null(outcome.Identity);
    }

    [Fact]
    public async Task Tokens_are_read_where_the_rule_says()
    {
        var token = _issuer.Token("alice");
        var header = Rule(r => r.FromHeaders.Add(new JwtHeader { Name = "x-jwt", Prefix = "Token " }));
        Assert.NotNull((await AuthenticateAsync(header, r => r.Headers["x-jwt"] = "Token " + token)).Outcome.Identity);
        Assert.Null((await AuthenticateAsync(header, Bearer(token))).Outcome.Identity); // not where the rule looks

        var parameter = Rule(r => r.FromParams.Add("jwt"));
        Assert.NotNull((await AuthenticateAsync(parameter, r => r.QueryString = new QueryString("?jwt=" + token))).Outcome.Identity);

        // Without locations: Authorization: Bearer, then access_token.
        Assert.NotNull((await AuthenticateAsync(Rule(), r => r.QueryString = new QueryString("?access_token=" + token))).Outcome.Identity);
    }

    [Fact]
    public async Task Keys_from_a_jwks_uri_are_loaded_in_the_background()
    {
        var file = Path.Combine(Path.GetTempPath(), $"weft-jwks-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, _issuer.Jwks);
        try
        {
            var rule = Rule(r =>
            {
                r.Jwks = "";
                r.JwksUri = new Uri(file).AbsoluteUri;
            });
            var token = _issuer.Token("alice");
            var deadline = DateTime.UtcNow.AddSeconds(10);
            AuthenticationOutcome outcome;
            do
            {
                (outcome, _) = await AuthenticateAsync(rule, Bearer(token));
            }
            while (outcome.Identity is null && DateTime.UtcNow < deadline && await Task.Delay(50).ContinueWith(_ => true));

            Assert.Equal("https://issuer.test/alice", outcome.Identity?.Principal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
