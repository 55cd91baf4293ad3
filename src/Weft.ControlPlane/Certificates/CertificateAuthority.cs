using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Weft.Protocol.Identity;

namespace Weft.ControlPlane.Certificates;

public sealed record IssuedCertificate(X509Certificate2 Leaf, string LeafPem, IReadOnlyList<string> TrustBundlePem);

public sealed class CertificateSigningException(string message) : Exception(message);

/// <summary>
/// The mesh's certificate authority: a root kept in the state directory signs each proxy's CSR
/// for exactly the SPIFFE identity that proxy proved it has.
/// </summary>
public sealed class CertificateAuthority
{
    private static readonly TimeSpan RootLifetime = TimeSpan.FromDays(3650);
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);
    private readonly ECDsa _rootKey;
    private readonly TimeProvider _time;

    private CertificateAuthority(string trustDomain, X509Certificate2 root, ECDsa rootKey, TimeProvider time)
    {
        TrustDomain = trustDomain;
        Root = root;
        _rootKey = rootKey;
        _time = time;
        RootPem = root.ExportCertificatePem();
        TrustBundle = [root];
    }

    public string TrustDomain { get; }
    public X509Certificate2 Root { get; }
    public string RootPem { get; }

    /// <summary>Every root proxies must trust; a list so that a second root can be added to rotate.</summary>
    public IReadOnlyList<X509Certificate2> TrustBundle { get; }

    public TimeSpan DefaultLeafLifetime { get; init; } = TimeSpan.FromHours(24);

    public static CertificateAuthority LoadOrCreate(string directory, string trustDomain, TimeProvider time)
    {
        Directory.CreateDirectory(directory);
        var certFile = Path.Combine(directory, "root-cert.pem");
        var keyFile = Path.Combine(directory, "root-key.pem");
        if (File.Exists(certFile) && File.Exists(keyFile))
        {
            var key = ECDsa.Create();
            key.ImportFromPem(File.ReadAllText(keyFile));
            var existing = X509Certificate2.CreateFromPem(File.ReadAllText(certFile));
            if (existing.NotAfter.ToUniversalTime() > time.GetUtcNow().UtcDateTime)
            {
                return new CertificateAuthority(trustDomain, existing, key, time);
            }
        }

        var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=weft root CA, O={trustDomain}", rootKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = time.GetUtcNow();
        var root = request.CreateSelfSigned(now - ClockSkew, now + RootLifetime);
        File.WriteAllText(keyFile, rootKey.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        File.WriteAllText(certFile, root.ExportCertificatePem());
        return new CertificateAuthority(trustDomain, X509CertificateLoader.LoadCertificate(root.RawData), rootKey, time);
    }

    /// <summary>Signs a CSR for <paramref name="expected"/>; refuses one that asks for anything else.</summary>
    public IssuedCertificate Sign(string csrPem, SpiffeId expected, TimeSpan? ttl = null)
    {
        CertificateRequest request;
        try
        {
            // Extensions are read only to learn the requested identity; the leaf is built from scratch.
            request = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new CertificateSigningException($"the CSR is not a valid signed PKCS#10 request: {e.Message}");
        }

        if (request.PublicKey.Oid.Value != "1.2.840.10045.2.1")
        {
            throw new CertificateSigningException("the CSR's key must be ECDSA P-256");
        }

        var requested = request.CertificateExtensions.FirstOrDefault(e => e.Oid?.Value == "2.5.29.17") is { } san
            ? CertificateIdentity.FromSubjectAlternativeName(san)
            : null;
        if (requested != expected.ToString())
        {
            throw new CertificateSigningException($"the CSR asks for {requested ?? "no SPIFFE identity"}, but this proxy is {expected}");
        }

        var leafRequest = new CertificateRequest(new X500DistinguishedName(""), request.PublicKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri(expected.ToString()));
        leafRequest.CertificateExtensions.Add(names.Build(critical: true));
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([Oids.ServerAuth, Oids.ClientAuth], false));
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Root, true, false));
        var now = _time.GetUtcNow();
        var leaf = leafRequest.Create(Root.SubjectName, X509SignatureGenerator.CreateForECDsa(_rootKey), now - ClockSkew, now + (ttl ?? DefaultLeafLifetime), RandomNumberGenerator.GetBytes(16));
        return new IssuedCertificate(leaf, leaf.ExportCertificatePem(), TrustBundle.Select(r => r.ExportCertificatePem()).ToList());
    }

    /// <summary>A certificate with its key, for the control plane's own TLS endpoint.</summary>
    public X509Certificate2 IssueServingCertificate(SpiffeId id, IEnumerable<string> dnsNames, IEnumerable<IPAddress> ips)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=weft control plane"), key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri(id.ToString()));
        foreach (var dns in dnsNames)
        {
            names.AddDnsName(dns);
        }

        foreach (var ip in ips)
        {
            names.AddIpAddress(ip);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([Oids.ServerAuth], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Root, true, false));
        var now = _time.GetUtcNow();
        using var certificate = request.Create(Root.SubjectName, X509SignatureGenerator.CreateForECDsa(_rootKey), now - ClockSkew, now + TimeSpan.FromDays(365), RandomNumberGenerator.GetBytes(16));
        // Kestrel needs a certificate whose key it can use for TLS on every platform: go through PKCS#12 once.
        return X509CertificateLoader.LoadPkcs12(certificate.CopyWithPrivateKey(key).Export(X509ContentType.Pkcs12), null);
    }

    private static class Oids
    {
        public static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
        public static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    }
}
