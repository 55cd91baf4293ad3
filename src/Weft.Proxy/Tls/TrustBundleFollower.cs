using System.Security.Cryptography.X509Certificates;
using Weft.Proxy.Configuration;

namespace Weft.Proxy.Tls;

/// <summary>
/// Follows the trust the control plane pushes with each config: a new trust bundle (a root being
/// added or retired) replaces the one TLS checks peers against at once, keeping the certificate; a
/// raised certificate generation (a new root signs) asks for a new certificate now.
/// </summary>
internal sealed class TrustBundleFollower(CredentialStore credentials, CertificateManager certificates)
{
    private ulong? _generation;
    private string[] _roots = [];

    public void OnApplied(ProxySnapshot snapshot)
    {
        var config = snapshot.Config;
        if (config.TrustBundlePem.Count > 0 && !config.TrustBundlePem.SequenceEqual(_roots, StringComparer.Ordinal))
        {
            _roots = [.. config.TrustBundlePem];
            credentials.UpdateTrust(config.TrustBundlePem.Select(pem => X509Certificate2.CreateFromPem(pem)).ToList());
        }

        if (_generation is { } seen && config.CertificateGeneration > seen)
        {
            certificates.RenewNow();
        }

        _generation = config.CertificateGeneration;
    }
}
