using System.Text.Json;
using Weft.Proxy.Authentication;

namespace Weft.Proxy.Authorization;

/// <summary>
/// <c>request.auth.principal</c>, <c>request.auth.audiences</c>, <c>request.auth.presenter</c> and
/// <c>request.auth.claims[name]</c> (nested: <c>[a][b]</c>): attributes of the request's validated JWT.
/// A list claim (or several audiences) matches when any element does. Without a JWT the attribute is
/// absent: values fail, notValues pass. On TCP there is no JWT at all: see AuthorizationRequest.IsTcp.
/// </summary>
internal sealed class RequestAuthCondition : ConditionMatcher
{
    private readonly Attribute _attribute;
    private readonly string[] _claimPath;
    private readonly ValueMatcher[] _values;
    private readonly ValueMatcher[] _notValues;
    private readonly bool _matchesWithoutHttp;

    private RequestAuthCondition(Attribute attribute, string[] claimPath, ValueMatcher[] values, ValueMatcher[] notValues, bool matchesWithoutHttp)
    {
        _attribute = attribute;
        _claimPath = claimPath;
        _values = values;
        _notValues = notValues;
        _matchesWithoutHttp = matchesWithoutHttp;
    }

    private enum Attribute
    {
        Principal,
        Audiences,
        Presenter,
        Claim,
    }

    public const string ClaimsPrefix = "request.auth.claims[";

    /// <summary>Null when <paramref name="key"/> is not a request.auth attribute.</summary>
    public static RequestAuthCondition? TryBuild(string key, ValueMatcher[] values, ValueMatcher[] notValues, bool matchesWithoutHttp)
    {
        switch (key)
        {
            case "request.auth.principal":
                return new(Attribute.Principal, [], values, notValues, matchesWithoutHttp);
            case "request.auth.audiences":
                return new(Attribute.Audiences, [], values, notValues, matchesWithoutHttp);
            case "request.auth.presenter":
                return new(Attribute.Presenter, [], values, notValues, matchesWithoutHttp);
        }

        if (!key.StartsWith(ClaimsPrefix, StringComparison.Ordinal) || !key.EndsWith(']') || key.Length <= ClaimsPrefix.Length + 1)
        {
            return null;
        }

        // "request.auth.claims[a][b]" → ["a", "b"]
        var path = key["request.auth.claims".Length..].Trim('[', ']').Split("][");
        return Array.Exists(path, string.IsNullOrEmpty) ? null : new(Attribute.Claim, path, values, notValues, matchesWithoutHttp);
    }

    public override bool IsMatch(in AuthorizationRequest request)
    {
        if (request.IsTcp)
        {
            return _matchesWithoutHttp;
        }

        var identity = request.RequestIdentity;
        if (_values.Length > 0 && (identity is null || !AnyMatch(identity, _values)))
        {
            return false;
        }

        return _notValues.Length == 0 || identity is null || !AnyMatch(identity, _notValues);
    }

    private bool AnyMatch(RequestIdentity identity, ValueMatcher[] matchers)
    {
        switch (_attribute)
        {
            case Attribute.Principal:
                return ValueMatcher.AnyMatch(matchers, identity.Principal);
            case Attribute.Presenter:
                return ValueMatcher.AnyMatch(matchers, identity.Presenter);
            case Attribute.Audiences:
                foreach (var audience in identity.Audiences)
                {
                    if (ValueMatcher.AnyMatch(matchers, audience))
                    {
                        return true;
                    }
                }

                return false;
            default:
                if (!identity.TryGetClaim(_claimPath, out var claim))
                {
                    return false;
                }

                if (claim.ValueKind != JsonValueKind.Array)
                {
                    return ValueMatcher.AnyMatch(matchers, Text(claim));
                }

                foreach (var element in claim.EnumerateArray())
                {
                    if (ValueMatcher.AnyMatch(matchers, Text(element)))
                    {
                        return true;
                    }
                }

                return false;
        }
    }

    private static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        _ => null,
    };
}
