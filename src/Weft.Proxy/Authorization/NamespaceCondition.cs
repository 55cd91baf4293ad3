namespace Weft.Proxy.Authorization;

/// <summary><c>source.namespace</c>: the peer's namespace; an unauthenticated peer has none.</summary>
internal sealed class NamespaceCondition(ValueSet values) : ConditionMatcher
{
    public override bool IsMatch(in AuthorizationRequest request) =>
        values.IsMatch(request.Principal is null ? null : request.SourceNamespace);
}
