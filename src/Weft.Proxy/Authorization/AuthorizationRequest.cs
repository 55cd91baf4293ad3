using System.Net;

namespace Weft.Proxy.Authorization;

/// <summary>The attributes of one inbound request that authorization policies look at.</summary>
internal readonly struct AuthorizationRequest
{
    /// <summary>
    /// The authenticated peer in Istio form, e.g. "cluster.local/ns/shop/sa/checkout";
    /// null when the peer is not mTLS-authenticated.
    /// </summary>
    public string? Principal { get; init; }

    /// <summary>The peer's namespace (taken from its principal); null when unauthenticated.</summary>
    public string? SourceNamespace { get; init; }

    public required string Method { get; init; }

    /// <summary>The request path without its query string.</summary>
    public required string Path { get; init; }

    /// <summary>The request authority (Host header) as sent, port included if the client sent one.</summary>
    public required string Host { get; init; }

    /// <summary>The workload port the request arrived on.</summary>
    public required int Port { get; init; }

    public required IHeaderDictionary Headers { get; init; }

    /// <summary>The peer's address (the connection's remote IP).</summary>
    public IPAddress? SourceIp { get; init; }

    /// <summary>
    /// The original client's address (remoteIpBlocks, remote.ip). Istio's sidecars trust no
    /// X-Forwarded-For hop by default (numTrustedProxies 0), so it is the peer's address.
    /// </summary>
    public IPAddress? RemoteIp => SourceIp;

    /// <summary>Who the request's validated JWT names; null without one (or on TCP).</summary>
    public Authentication.RequestIdentity? RequestIdentity { get; init; }

    /// <summary>
    /// A TCP connection rather than an HTTP request: HTTP-only attributes (methods, paths, hosts,
    /// request headers) do not exist. Istio's rule: an ALLOW rule that needs them never matches, a
    /// DENY rule ignores them (so it denies more — the safe side).
    /// </summary>
    public bool IsTcp { get; init; }
}
