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
            certificate is X509Certificate2 peer
            && (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None
            && SpiffeId.TryParse(CertificateIdentity.GetSpiffeUri(peer), out var id)
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
            certificate is X509Certificate2 peer
            && (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None
            && CertificateIdentity.GetSpiffeUri(peer) == expectedSpiffeId,
    };

    public static string? GetPeerSpiffeId(SslStream stream) =>
        stream.RemoteCertificate is X509Certificate2 peer ? CertificateIdentity.GetSpiffeUri(peer) : null;
}
