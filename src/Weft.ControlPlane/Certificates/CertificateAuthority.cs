using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Weft.Protocol.Identity;

namespace Weft.ControlPlane.Certificates;

public sealed record IssuedCertificate(X509Certificate2 Leaf, string LeafPem, IReadOnlyList<string> TrustBundlePem);

public sealed class CertificateSigningException(string message) : Exception(message);

/// <summary>
/// The mesh's certificate authority: a root kept in the state directory signs each proxy's CSR
/// for exactly the SPIFFE identity that proxy proved it has. A root rotation goes through three
/// steps (<see cref="AddNextRoot"/>, <see cref="PromoteNextRoot"/>, <see cref="RetirePreviousRoot"/>),
/// each persisted so a restart resumes with the same trust bundle.
/// </summary>
public sealed class CertificateAuthority
{
    private static readonly TimeSpan RootLifetime = TimeSpan.FromDays(3650);
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);
    private const string RootCertFile = "root-cert.pem";
    private const string RootKeyFile = "root-key.pem";
    private const string NextCertFile = "next-root-cert.pem";
    private const string NextKeyFile = "next-root-key.pem";
    private const string PreviousCertFile = "previous-root-cert.pem";

    private readonly string _directory;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private volatile Signer _signer;
    private volatile IReadOnlyList<X509Certificate2> _bundle;

    private CertificateAuthority(string directory, string trustDomain, Signer signer, IReadOnlyList<X509Certificate2> bundle, TimeProvider time)
    {
        _directory = directory;
        TrustDomain = trustDomain;
        _signer = signer;
        _bundle = bundle;
        _time = time;
    }

    private sealed record Signer(X509Certificate2 Root, ECDsa Key);

    public string TrustDomain { get; }

    /// <summary>The root that signs new certificates.</summary>
    public X509Certificate2 Root => _signer.Root;

    public string RootPem => _signer.Root.ExportCertificatePem();

    /// <summary>Every root proxies must trust: one, or two while a root rotates.</summary>
    public IReadOnlyList<X509Certificate2> TrustBundle => _bundle;

    public IReadOnlyList<string> TrustBundlePem => [.. _bundle.Select(r => r.ExportCertificatePem())];

    /// <summary>The directory holding the roots' files (what a cluster copies into its Secret).</summary>
    public string Directory => _directory;

    /// <summary>Raised after a rotation step changed the roots' files, so a copy kept elsewhere can follow.</summary>
    public event Action? RootsChanged;

    /// <summary>Adds a new root to the trust bundle; the current root keeps signing. Returns the new root.</summary>
    public X509Certificate2 AddNextRoot()
    {
        X509Certificate2 added;
        lock (_gate)
        {
            var (root, key) = CreateRoot(TrustDomain, _time, $"weft root CA {_time.GetUtcNow():yyyyMMddHHmmss}");
            Write(NextKeyFile, key.ExportPkcs8PrivateKeyPem(), secret: true);
            Write(NextCertFile, root.ExportCertificatePem(), secret: false);
            _bundle = [_signer.Root, root];
            added = root;
        }

        RootsChanged?.Invoke();
        return added;
    }

    /// <summary>The next root signs from now on; both stay trusted.</summary>
    public void PromoteNextRoot()
    {
        lock (_gate)
        {
            var next = LoadSigner(Path.Combine(_directory, NextCertFile), Path.Combine(_directory, NextKeyFile))
                ?? throw new InvalidOperationException("there is no next root to promote; add one first");
            Write(PreviousCertFile, _signer.Root.ExportCertificatePem(), secret: false);
            Write(RootKeyFile, next.Key.ExportPkcs8PrivateKeyPem(), secret: true);
            Write(RootCertFile, next.Root.ExportCertificatePem(), secret: false);
            File.Delete(Path.Combine(_directory, NextKeyFile));
            File.Delete(Path.Combine(_directory, NextCertFile));
            _bundle = [.. _bundle.Where(r => r.Thumbprint != next.Root.Thumbprint), next.Root];
            _signer = next;
        }

        RootsChanged?.Invoke();
    }

    /// <summary>Drops every root but the signing one from the trust bundle.</summary>
    public void RetirePreviousRoot()
    {
        lock (_gate)
        {
            File.Delete(Path.Combine(_directory, PreviousCertFile));
            _bundle = [_signer.Root];
        }

        RootsChanged?.Invoke();
    }

    public TimeSpan DefaultLeafLifetime { get; init; } = TimeSpan.FromHours(24);

    public static CertificateAuthority LoadOrCreate(string directory, string trustDomain, TimeProvider time)
    {
        System.IO.Directory.CreateDirectory(directory);
        var signer = LoadSigner(Path.Combine(directory, RootCertFile), Path.Combine(directory, RootKeyFile));
        if (signer is null || signer.Root.NotAfter.ToUniversalTime() <= time.GetUtcNow().UtcDateTime)
        {
            var (root, key) = CreateRoot(trustDomain, time, "weft root CA");
            signer = new Signer(root, key);
            var authority = new CertificateAuthority(directory, trustDomain, signer, [root], time);
            authority.Write(RootKeyFile, key.ExportPkcs8PrivateKeyPem(), secret: true);
            authority.Write(RootCertFile, root.ExportCertificatePem(), secret: false);
            return authority;
        }

        // A rotation in progress: the next (not yet signing) or the previous (not yet retired) root stays trusted.
        var bundle = new List<X509Certificate2> { signer.Root };
        foreach (var extra in new[] { NextCertFile, PreviousCertFile })
        {
            var file = Path.Combine(directory, extra);
            if (File.Exists(file))
            {
                bundle.Insert(extra == PreviousCertFile ? 0 : bundle.Count, X509Certificate2.CreateFromPem(File.ReadAllText(file)));
            }
        }

        return new CertificateAuthority(directory, trustDomain, signer, bundle, time);
    }

    private static Signer? LoadSigner(string certFile, string keyFile)
    {
        if (!File.Exists(certFile) || !File.Exists(keyFile))
        {
            return null;
        }

        var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(keyFile));
        return new Signer(X509Certificate2.CreateFromPem(File.ReadAllText(certFile)), key);
    }

    private static (X509Certificate2 Root, ECDsa Key) CreateRoot(string trustDomain, TimeProvider time, string commonName)
    {
        var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}, O={trustDomain}", rootKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = time.GetUtcNow();
        using var root = request.CreateSelfSigned(now - ClockSkew, now + RootLifetime);
        return (X509CertificateLoader.LoadCertificate(root.RawData), rootKey);
    }

    /// <summary>Writes a file of the CA's directory; keys are readable by the owner only (0600) from the start.</summary>
    private void Write(string name, string content, bool secret)
    {
        var path = Path.Combine(_directory, name);
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (secret && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
        }

        File.Move(temporary, path, overwrite: true);
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
        var signer = _signer;
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(signer.Root, true, false));
        var now = _time.GetUtcNow();
        var leaf = leafRequest.Create(signer.Root.SubjectName, X509SignatureGenerator.CreateForECDsa(signer.Key), now - ClockSkew, now + (ttl ?? DefaultLeafLifetime), RandomNumberGenerator.GetBytes(16));
        return new IssuedCertificate(leaf, leaf.ExportCertificatePem(), TrustBundlePem);
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
        var signer = _signer;
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(signer.Root, true, false));
        var now = _time.GetUtcNow();
        using var certificate = request.Create(signer.Root.SubjectName, X509SignatureGenerator.CreateForECDsa(signer.Key), now - ClockSkew, now + TimeSpan.FromDays(365), RandomNumberGenerator.GetBytes(16));
        // Kestrel needs a certificate whose key it can use for TLS on every platform: go through PKCS#12 once.
        return X509CertificateLoader.LoadPkcs12(certificate.CopyWithPrivateKey(key).Export(X509ContentType.Pkcs12), null);
    }

    private static class Oids
    {
        public static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
        public static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    }
}
