using Weft.Mesh.Model;

namespace Weft.Mesh.Compilation;

/// <summary>Resolves the host names users write (payments, payments.payments, FQDN) to service FQDNs.</summary>
internal static class HostNames
{
    /// <summary>
    /// The FQDN a host written in a resource of <paramref name="resourceNamespace"/> stands for:
    /// a short name is relative to that namespace (as in Istio); "name.ns" and "name.ns.svc" are
    /// completed with the cluster domain.
    /// </summary>
    public static string ToFqdn(string host, string resourceNamespace, MeshOptions options)
    {
        host = host.ToLowerInvariant();
        var suffix = "." + options.ClusterDomain;
        if (host.EndsWith(suffix, StringComparison.Ordinal) || host.StartsWith('*'))
        {
            return host;
        }

        return host.Split('.').Length switch
        {
            1 => $"{host}.{resourceNamespace}.svc{suffix}",
            2 => $"{host}.svc{suffix}",
            3 when host.EndsWith(".svc", StringComparison.Ordinal) => host + suffix,
            _ => host,
        };
    }
}
