using Weft.Mesh.Model;

namespace Weft.ControlPlane.Hosting;

public sealed class ControlPlaneOptions
{
    /// <summary>The directory of manifests to serve and watch (the local runtime).</summary>
    public string ConfigDirectory { get; init; } = "";

    /// <summary>Where the CA keeps its root key and certificate.</summary>
    public required string StateDirectory { get; init; }

    /// <summary>Port of the proxies' gRPC endpoint (TLS); 0 picks a free one.</summary>
    public int DiscoveryPort { get; init; }

    /// <summary>Port of the HTTP API the CLI reads; 0 picks a free one.</summary>
    public int ApiPort { get; init; }

    /// <summary>
    /// Where proxies reach the discovery endpoint. The default is loopback; transparent mode uses the
    /// bridge's address, since each sidecar runs in its own network namespace.
    /// </summary>
    public System.Net.IPAddress DiscoveryListenAddress { get; init; } = System.Net.IPAddress.Loopback;

    /// <summary>Set: Services without a spec.clusterIP get a virtual IP from this range (transparent mode).</summary>
    public System.Net.IPNetwork? ServiceAddressRange { get; init; }

    public MeshOptions Mesh { get; init; } = new();

    /// <summary>Extra DNS names of the discovery endpoint's certificate (the control plane's Service in a cluster).</summary>
    public IReadOnlyList<string> ServingDnsNames { get; init; } = [];

    /// <summary>Lifetime of workload certificates. The default is 24 hours.</summary>
    public TimeSpan CertificateLifetime { get; init; } = TimeSpan.FromHours(24);
}
