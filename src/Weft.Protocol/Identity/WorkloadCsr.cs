using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Weft.Protocol.Identity;

/// <summary>The certificate signing request a proxy sends for its identity; its key never leaves the proxy.</summary>
public static class WorkloadCsr
{
    public static string CreatePem(ECDsa key, SpiffeId id)
    {
        var request = new CertificateRequest(new X500DistinguishedName(""), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(id.ToString()));
        request.CertificateExtensions.Add(san.Build(critical: true));
        return request.CreateSigningRequestPem();
    }
}
