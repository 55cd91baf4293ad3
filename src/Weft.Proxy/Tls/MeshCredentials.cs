using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Weft.Protocol.Identity;

namespace Weft.Proxy.Tls;

/// <summary>
/// One issued workload certificate with everything TLS needs, built once per rotation: the
/// certificate context (reused so OpenSSL's session cache works) and the trust policy.
/// </summary>
public sealed class MeshCredentials
{
    private MeshCredentials(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> trustBundle)
    {
        Leaf = leaf;
        TrustBundle = trustBundle;
        SpiffeId = CertificateIdentity.GetSpiffeUri(leaf) ?? throw new ArgumentException("the certificate has no SPIFFE identity");
        CertificateContext = SslStreamCertificateContext.Create(leaf, null, offline: true);
        ChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        foreach (var root in trustBundle)
        {
            ChainPolicy.CustomTrustStore.Add(root);
        }

        TrustDomain = Protocol.Identity.SpiffeId.TryParse(SpiffeId, out var id) ? id.TrustDomain : "";
    }

    public X509Certificate2 Leaf { get; }
    public string SpiffeId { get; }
    public string TrustDomain { get; }
    public DateTime NotBefore => Leaf.NotBefore.ToUniversalTime();
    public DateTime NotAfter => Leaf.NotAfter.ToUniversalTime();
    public IReadOnlyList<X509Certificate2> TrustBundle { get; }
    public SslStreamCertificateContext CertificateContext { get; }
    public X509ChainPolicy ChainPolicy { get; }

    public static MeshCredentials Create(X509Certificate2 leafWithKey, IReadOnlyList<X509Certificate2> trustBundle) => new(leafWithKey, trustBundle);
}
