namespace Weft.Proxy.Authorization;

/// <summary>A condition on an attribute this proxy cannot evaluate: a constant, chosen to fail closed.</summary>
internal sealed class UnsupportedCondition : ConditionMatcher
{
    private readonly bool _result;

    private UnsupportedCondition(bool result) => _result = result;

    public static UnsupportedCondition AlwaysMatches { get; } = new(true);

    public static UnsupportedCondition NeverMatches { get; } = new(false);

    public override bool IsMatch(in AuthorizationRequest request) => _result;
}
