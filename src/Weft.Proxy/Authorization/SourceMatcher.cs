using Weft.Protocol.V1;

namespace Weft.Proxy.Authorization;

/// <summary>
/// One <c>from.source</c>: every listed field must match. Principals and namespaces need an
/// mTLS-authenticated peer; notPrincipals/notNamespaces admit an unauthenticated one (as Envoy RBAC).
/// </summary>
internal sealed class SourceMatcher
{
    private readonly ValueSet _principals;
    private readonly ValueSet _namespaces;

    public SourceMatcher(AuthorizationSource source)
    {
        _principals = new ValueSet(source.Principals, source.NotPrincipals);
        _namespaces = new ValueSet(source.Namespaces, source.NotNamespaces);
    }

    public bool IsMatch(in AuthorizationRequest request)
    {
        var principal = request.Principal;
        return (_principals.IsEmpty || _principals.IsMatch(principal))
            && (_namespaces.IsEmpty || _namespaces.IsMatch(principal is null ? null : request.SourceNamespace));
    }
}
