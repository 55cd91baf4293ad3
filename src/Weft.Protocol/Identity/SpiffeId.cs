namespace Weft.Protocol.Identity;

/// <summary>A workload identity: spiffe://&lt;trust domain&gt;/ns/&lt;namespace&gt;/sa/&lt;service account&gt;.</summary>
public readonly record struct SpiffeId(string TrustDomain, string Namespace, string ServiceAccount)
{
    private const string Scheme = "spiffe://";

    /// <summary>Istio's principal form, without the scheme: cluster.local/ns/shop/sa/checkout.</summary>
    public string Principal => $"{TrustDomain}/ns/{Namespace}/sa/{ServiceAccount}";

    public override string ToString() => Scheme + Principal;

    public static bool TryParse(string? uri, out SpiffeId id)
    {
        id = default;
        if (uri is null || !uri.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = uri[Scheme.Length..].Split('/');
        if (parts.Length != 5 || parts[1] != "ns" || parts[3] != "sa" || Array.Exists(parts, string.IsNullOrEmpty))
        {
            return false;
        }

        id = new SpiffeId(parts[0], parts[2], parts[4]);
        return true;
    }
}
