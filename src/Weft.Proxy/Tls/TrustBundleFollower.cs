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

    public void OnApplied(ProxySnapshot snapshot)
    {
        var config = snapshot.Config;
        if (config.TrustBundlePem.Count > 0 && credentials.Current is { } current && !SameRoots(current.TrustBundle, config.TrustBundlePem))
        {
            var bundle = config.TrustBundlePem.Select(pem => X509Certificate2.CreateFromPem(pem)).ToList();
            credentials.Update(MeshCredentials.Create(current.Leaf, bundle));
        }

        if (_generation is { } seen && config.CertificateGeneration > seen)
        {
            certificates.RenewNow();
        }

        _generation = config.CertificateGeneration;
    }

    private static bool SameRoots(IReadOnlyList<X509Certificate2> bundle, IReadOnlyList<string> pems)
    {
        if (bundle.Count != pems.Count)
        {
            return false;
        }

        for (var i = 0; i < pems.Count; i++)
        {
            if (bundle[i].ExportCertificatePem() != pems[i].Trim() && bundle[i].ExportCertificatePem() != pems[i])
            {
                return false;
            }
        }

        return true;
    }
}
