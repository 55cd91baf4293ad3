namespace Weft.Proxy.Authorization;

/// <summary><c>source.principal</c>: the peer's principal; an unauthenticated peer has none.</summary>
internal sealed class PrincipalCondition(ValueSet values) : ConditionMatcher
{
    public override bool IsMatch(in AuthorizationRequest request) => values.IsMatch(request.Principal);
}
