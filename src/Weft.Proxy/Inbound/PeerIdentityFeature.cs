namespace Weft.Proxy.Inbound;

/// <summary>Who is on the other end of an inbound connection, as proven by its mTLS certificate.</summary>
internal sealed class PeerIdentityFeature(string? spiffeId)
{
    public static readonly PeerIdentityFeature Plaintext = new(null);

    /// <summary>spiffe://… of the peer; null when the connection is plaintext.</summary>
    public string? SpiffeId { get; } = spiffeId;

    /// <summary>Istio's principal form (trust-domain/ns/x/sa/y), null when plaintext.</summary>
    public string? Principal { get; } = spiffeId?["spiffe://".Length..];

    /// <summary>The namespace in the principal, null when plaintext.</summary>
    public string? Namespace { get; } = NamespaceOf(spiffeId);

    /// <summary>The x-forwarded-client-cert value the app gets (Istio's URI= form), made once per connection; null when plaintext.</summary>
    public string? ForwardedClientCert { get; } = spiffeId is null ? null : "URI=" + spiffeId;

    public bool IsMutualTls => SpiffeId is not null;

    private static string? NamespaceOf(string? spiffeId)
    {
        if (spiffeId is null)
        {
            return null;
        }

        var start = spiffeId.IndexOf("/ns/", StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        start += 4;
        var end = spiffeId.IndexOf('/', start);
        return end < 0 ? spiffeId[start..] : spiffeId[start..end];
    }
}
