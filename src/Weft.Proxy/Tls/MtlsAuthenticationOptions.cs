using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Weft.Protocol.Identity;

namespace Weft.Proxy.Tls;

/// <summary>
/// TLS settings of sidecar-to-sidecar connections: TLS 1.3, both ends present a certificate from
/// the mesh's CA, and identity is the SPIFFE URI SAN (not the host name).
/// </summary>
public static class MtlsAuthenticationOptions
{
    private static readonly List<SslApplicationProtocol> Protocols = [SslApplicationProtocol.Http11];

    public static SslServerAuthenticationOptions ForServer(MeshCredentials credentials) => new()
    {
        EnabledSslProtocols = SslProtocols.Tls13,
        ServerCertificateContext = credentials.CertificateContext,
        ClientCertificateRequired = true,
        CertificateChainPolicy = credentials.ChainPolicy.Clone(),
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        ApplicationProtocols = Protocols,
        RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            ChainsToMeshRoot(certificate, errors)
            && SpiffeId.TryParse(CertificateIdentity.GetSpiffeUri((X509Certificate2)certificate!), out var id)
            && id.TrustDomain == credentials.TrustDomain,
    };

    public static SslClientAuthenticationOptions ForClient(MeshCredentials credentials, string expectedSpiffeId) => new()
    {
        EnabledSslProtocols = SslProtocols.Tls13,
        TargetHost = "weft-mesh",
        ClientCertificateContext = credentials.CertificateContext,
        CertificateChainPolicy = credentials.ChainPolicy.Clone(),
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        ApplicationProtocols = Protocols,
        RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            ChainsToMeshRoot(certificate, errors) && CertificateIdentity.GetSpiffeUri((X509Certificate2)certificate!) == expectedSpiffeId,
    };

    /// <summary>
    /// The chain was built against the mesh's roots only (CertificateChainPolicy); host names mean
    /// nothing here — identity is the SPIFFE URI, checked by the caller.
    /// </summary>
    private static bool ChainsToMeshRoot(X509Certificate? certificate, SslPolicyErrors errors) =>
        certificate is X509Certificate2 && (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None;

    public static string? GetPeerSpiffeId(SslStream stream) =>
        stream.RemoteCertificate is X509Certificate2 peer ? CertificateIdentity.GetSpiffeUri(peer) : null;
}
