using System.Net;
using Weft.Protocol.V1;

namespace Weft.Proxy.Authorization;

/// <summary>
/// One <c>from.source</c>: every listed field must match. Principals and namespaces need an
/// mTLS-authenticated peer; notPrincipals/notNamespaces admit an unauthenticated one (as Envoy RBAC).
/// Request principals need a validated JWT; on a TCP connection there is none, so (Istio's L4 rule)
/// a source that names them never matches in an ALLOW policy and always matches in a DENY policy.
/// </summary>
internal sealed class SourceMatcher
{
    private readonly ValueSet _principals;
    private readonly ValueSet _namespaces;
    private readonly ValueSet _requestPrincipals;
    private readonly IpMatcher[] _ipBlocks;
    private readonly IpMatcher[] _notIpBlocks;
    private readonly IpMatcher[] _remoteIpBlocks;
    private readonly IpMatcher[] _notRemoteIpBlocks;
    private readonly bool _matchesWithoutHttp;

    public SourceMatcher(AuthorizationSource source, AuthorizationAction action, string context)
    {
        _principals = new ValueSet(source.Principals, source.NotPrincipals);
        _namespaces = new ValueSet(source.Namespaces, source.NotNamespaces);
        _requestPrincipals = new ValueSet(source.RequestPrincipals, source.NotRequestPrincipals);
        _ipBlocks = IpMatcher.BuildAll(source.IpBlocks, context);
        _notIpBlocks = IpMatcher.BuildAll(source.NotIpBlocks, context);
        _remoteIpBlocks = IpMatcher.BuildAll(source.RemoteIpBlocks, context);
        _notRemoteIpBlocks = IpMatcher.BuildAll(source.NotRemoteIpBlocks, context);
        _matchesWithoutHttp = action != AuthorizationAction.Allow;
    }

    /// <summary>The first field that does not match (e.g. "principals"), or null when the source matches. For explanations.</summary>
    public string? Mismatch(in AuthorizationRequest request)
    {
        var principal = request.Principal;
        if (!(_principals.IsEmpty || _principals.IsMatch(principal)))
        {
            return principal is null ? "principals (the peer has no mTLS identity)" : $"principals ({principal})";
        }

        if (!(_namespaces.IsEmpty || _namespaces.IsMatch(principal is null ? null : request.SourceNamespace)))
        {
            return $"namespaces ({(principal is null ? "no mTLS identity" : request.SourceNamespace)})";
        }

        if (!IpsMatch(_ipBlocks, _notIpBlocks, request.SourceIp))
        {
            return $"ipBlocks ({request.SourceIp})";
        }

        if (!IpsMatch(_remoteIpBlocks, _notRemoteIpBlocks, request.RemoteIp))
        {
            return $"remoteIpBlocks ({request.RemoteIp})";
        }

        if (_requestPrincipals.IsEmpty || (request.IsTcp ? _matchesWithoutHttp : _requestPrincipals.IsMatch(request.RequestIdentity?.Principal)))
        {
            return null;
        }

        return request.IsTcp ? "requestPrincipals (no JWT on a TCP connection)" : $"requestPrincipals ({request.RequestIdentity?.Principal ?? "no valid JWT"})";
    }

    public bool IsMatch(in AuthorizationRequest request)
    {
        var principal = request.Principal;
        if (!(_principals.IsEmpty || _principals.IsMatch(principal))
            || !(_namespaces.IsEmpty || _namespaces.IsMatch(principal is null ? null : request.SourceNamespace))
            || !IpsMatch(_ipBlocks, _notIpBlocks, request.SourceIp)
            || !IpsMatch(_remoteIpBlocks, _notRemoteIpBlocks, request.RemoteIp))
        {
            return false;
        }

        if (_requestPrincipals.IsEmpty)
        {
            return true;
        }

        return request.IsTcp ? _matchesWithoutHttp : _requestPrincipals.IsMatch(request.RequestIdentity?.Principal);
    }

    private static bool IpsMatch(IpMatcher[] blocks, IpMatcher[] notBlocks, IPAddress? address)
    {
        if (blocks.Length > 0 && (address is null || !IpMatcher.AnyMatch(blocks, address)))
        {
            return false;
        }

        return notBlocks.Length == 0 || address is null || !IpMatcher.AnyMatch(notBlocks, address);
    }
}
