using System.Net;
using Weft.Mesh.Model;

namespace Weft.Mesh.Compilation;

/// <summary>A service's virtual IPs: its own spec.clusterIP(s), else the one the runtime assigned.</summary>
internal static class ServiceAddresses
{
    public static IEnumerable<string> Of(IndexedService service, MeshSnapshot snapshot)
    {
        var declared = Declared(service.Service.Spec).ToList();
        if (declared.Count > 0)
        {
            return declared;
        }

        return snapshot.ServiceAddresses.TryGetValue(service.Fqdn, out var assigned) ? [assigned] : [];
    }

    /// <summary>spec.clusterIPs, else spec.clusterIP — "None" (a headless service) and non-addresses excluded.</summary>
    public static IEnumerable<string> Declared(Config.Model.ServiceSpec spec)
    {
        var all = spec.ClusterIPs is { Count: > 0 } many ? many : spec.ClusterIP is { } one ? [one] : [];
        foreach (var candidate in all)
        {
            if (IPAddress.TryParse(candidate, out var address))
            {
                yield return address.ToString();
            }
        }
    }
}
