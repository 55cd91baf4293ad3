using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Weft.ControlPlane.Certificates;
using Weft.Protocol.Identity;
using Weft.Proxy.Tls;

namespace Weft.Proxy.Tests.Tls;

/// <summary>Mesh credentials signed by a real Weft CA in a temporary directory.</summary>
internal sealed class TestIdentities : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("weft-tls-").FullName;

    public TestIdentities()
    {
        Authority = CertificateAuthority.LoadOrCreate(_directory, "cluster.local", TimeProvider.System);
    }

    public CertificateAuthority Authority { get; }

    public MeshCredentials For(string ns, string serviceAccount)
    {
        var id = new SpiffeId("cluster.local", ns, serviceAccount);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issued = Authority.Sign(WorkloadCsr.CreatePem(key, id), id);
        return MeshCredentials.Create(issued.Leaf.CopyWithPrivateKey(key), Authority.TrustBundle);
    }

    /// <summary>A certificate with the same SPIFFE ID from a CA the mesh does not trust.</summary>
    public static MeshCredentials Impostor(string ns, string serviceAccount)
    {
        using var directory = new TemporaryDirectory();
        var foreign = CertificateAuthority.LoadOrCreate(directory.Path, "cluster.local", TimeProvider.System);
        var id = new SpiffeId("cluster.local", ns, serviceAccount);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issued = foreign.Sign(WorkloadCsr.CreatePem(key, id), id);
        return MeshCredentials.Create(issued.Leaf.CopyWithPrivateKey(key), foreign.TrustBundle);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private sealed class TemporaryDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("weft-foreign-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
