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
    /// <summary>ALPN for a raw TCP tunnel between sidecars: the server relays bytes instead of parsing HTTP.</summary>
    public static readonly SslApplicationProtocol Tcp = new("weft/tcp");

    private static readonly List<SslApplicationProtocol> ServerProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11, Tcp];

    public static SslServerAuthenticationOptions ForServer(MeshCredentials credentials) => new()
    {
        EnabledSslProtocols = SslProtocols.Tls13,
        ServerCertificateContext = credentials.CertificateContext,
        ClientCertificateRequired = true,
        CertificateChainPolicy = credentials.ChainPolicy.Clone(),
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        ApplicationProtocols = ServerProtocols,
        RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            ChainsToMeshRoot(certificate, errors)
            && SpiffeId.TryParse(CertificateIdentity.GetSpiffeUri((X509Certificate2)certificate!), out var id)
            && id.TrustDomain == credentials.TrustDomain,
    };

    /// <summary>Client options offering exactly one protocol: the connection will carry only that (h2, http/1.1 or a TCP tunnel).</summary>
    public static SslClientAuthenticationOptions ForClient(MeshCredentials credentials, string expectedSpiffeId, SslApplicationProtocol protocol) => new()
    {
        EnabledSslProtocols = SslProtocols.Tls13,
        TargetHost = "weft-mesh",
        ClientCertificateContext = credentials.CertificateContext,
        CertificateChainPolicy = credentials.ChainPolicy.Clone(),
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        ApplicationProtocols = [protocol],
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
