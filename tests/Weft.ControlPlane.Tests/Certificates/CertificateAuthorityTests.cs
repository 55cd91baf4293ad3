using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Weft.ControlPlane.Certificates;
using Weft.Protocol.Identity;

namespace Weft.ControlPlane.Tests.Certificates;

public sealed class CertificateAuthorityTests : IDisposable
{
    private static readonly SpiffeId Checkout = new("cluster.local", "shop", "checkout");
    private readonly string _directory = Directory.CreateTempSubdirectory("weft-ca-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Signs_a_leaf_for_exactly_the_proven_identity_valid_24_hours_chained_to_the_root()
    {
        var ca = CertificateAuthority.LoadOrCreate(_directory, "cluster.local", TimeProvider.System);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var issued = ca.Sign(WorkloadCsr.CreatePem(key, Checkout), Checkout);

        Assert.Equal("spiffe://cluster.local/ns/shop/sa/checkout", CertificateIdentity.GetSpiffeUri(issued.Leaf));
        Assert.InRange(issued.Leaf.NotAfter - issued.Leaf.NotBefore, TimeSpan.FromHours(24), TimeSpan.FromHours(24.1));
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), issued.Leaf.PublicKey.ExportSubjectPublicKeyInfo());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.Add(ca.Root);
        Assert.True(chain.Build(issued.Leaf), string.Join(", ", chain.ChainStatus.Select(s => s.StatusInformation)));
        Assert.Equal(ca.RootPem, Assert.Single(issued.TrustBundlePem));
    }

    [Fact]
    public void Keeps_its_root_across_restarts()
    {
        var first = CertificateAuthority.LoadOrCreate(_directory, "cluster.local", TimeProvider.System);
        var second = CertificateAuthority.LoadOrCreate(_directory, "cluster.local", TimeProvider.System);
        Assert.Equal(first.Root.Thumbprint, second.Root.Thumbprint);
    }

    [Fact]
    public void Refuses_a_CSR_that_asks_for_another_identity_naming_both()
    {
        var ca = CertificateAuthority.LoadOrCreate(_directory, "cluster.local", TimeProvider.System);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = WorkloadCsr.CreatePem(key, new SpiffeId("cluster.local", "payments", "payments"));

        var error = Assert.Throws<CertificateSigningException>(() => ca.Sign(csr, Checkout));

        Assert.Contains("spiffe://cluster.local/ns/payments/sa/payments", error.Message, StringComparison.Ordinal);
        Assert.Contains("spiffe://cluster.local/ns/shop/sa/checkout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_tampered_CSR()
    {
        var ca = CertificateAuthority.LoadOrCreate(_directory, "cluster.local", TimeProvider.System);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var der = Convert.FromBase64String(string.Concat(WorkloadCsr.CreatePem(key, Checkout).Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal))));
        der[^5] ^= 0xFF; // inside the signature
        var tampered = PemEncoding.WriteString("CERTIFICATE REQUEST", der);

        Assert.Throws<CertificateSigningException>(() => ca.Sign(tampered, Checkout));
        Assert.Throws<CertificateSigningException>(() => ca.Sign("not a CSR", Checkout));
    }

    [Fact]
    public void Issues_the_control_planes_own_serving_certificate_with_its_key()
    {
        var ca = CertificateAuthority.LoadOrCreate(_directory, "cluster.local", TimeProvider.System);
        using var serving = ca.IssueServingCertificate(new SpiffeId("cluster.local", "weft-system", "weft-control-plane"), ["localhost"], [IPAddress.Loopback]);

        Assert.True(serving.HasPrivateKey);
        Assert.True(serving.MatchesHostname("localhost"));
    }

    [Fact]
    public void A_root_rotation_adds_promotes_and_retires_and_survives_a_restart_at_every_step()
    {
        CertificateAuthority Reload() => CertificateAuthority.LoadOrCreate(_directory, "cluster.local", TimeProvider.System);
        string[] Roots(CertificateAuthority ca) => [.. ca.TrustBundle.Select(r => r.Thumbprint)];
        string IssuerOfNewLeaf(CertificateAuthority ca)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return ca.Sign(WorkloadCsr.CreatePem(key, Checkout), Checkout).Leaf.Issuer;
        }

        var ca = Reload();
        var old = ca.Root;

        var next = ca.AddNextRoot();
        Assert.Equal([old.Thumbprint, next.Thumbprint], Roots(ca));
        Assert.Equal(old.Subject, IssuerOfNewLeaf(ca)); // the old root still signs
        Assert.Equal([old.Thumbprint, next.Thumbprint], Roots(Reload()));

        ca.PromoteNextRoot();
        Assert.Equal(next.Subject, IssuerOfNewLeaf(ca));
        Assert.Equal([old.Thumbprint, next.Thumbprint], Roots(ca)); // both trusted until every proxy re-issued
        var restarted = Reload();
        Assert.Equal(next.Thumbprint, restarted.Root.Thumbprint);
        Assert.Equal([old.Thumbprint, next.Thumbprint], Roots(restarted));

        ca.RetirePreviousRoot();
        Assert.Equal([next.Thumbprint], Roots(ca));
        Assert.Equal([next.Thumbprint], Roots(Reload()));
        if (!OperatingSystem.IsWindows())
        {
            foreach (var key in Directory.GetFiles(_directory, "*key*.pem"))
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
            }
        }
    }
}
