using System.Net;
using System.Net.Sockets;
using Weft.Config.Model;

namespace Weft.Mesh.Model;

/// <summary>
/// Assigns each Service a virtual IP from a range, as Kubernetes' API server assigns clusterIPs.
/// An assignment never changes while the pool lives, and an address is never reused for another
/// service, so a name an app resolved earlier can never reach a different service. A Service that
/// declares its own spec.clusterIP keeps it and gets nothing from the pool.
/// </summary>
public sealed class ServiceAddressPool(IPNetwork range)
{
    private readonly Dictionary<string, string> _assigned = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private uint _next = 1; // the range's first address (the network address) is never handed out

    public IPNetwork Range => range;

    /// <summary>Service FQDN → virtual IP, for every service given (and every one assigned before).</summary>
    public IReadOnlyDictionary<string, string> Assign(IEnumerable<Service> services, MeshOptions options)
    {
        lock (_gate)
        {
            var pending = new List<string>();
            var declared = new HashSet<string>(StringComparer.Ordinal);
            foreach (var service in services.OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal))
            {
                var fqdn = service.Fqdn(options.ClusterDomain);
                var own = Compilation.ServiceAddresses.Declared(service.Spec).ToList();
                if (own.Count > 0)
                {
                    declared.UnionWith(own);
                    continue;
                }

                if (!_assigned.ContainsKey(fqdn))
                {
                    pending.Add(fqdn);
                }
            }

            foreach (var fqdn in pending)
            {
                var address = NextFree(declared) ?? throw new InvalidOperationException($"the service address range {range} is exhausted ({_used.Count} assigned)");
                _assigned[fqdn] = address;
                _used.Add(address);
            }

            return new Dictionary<string, string>(_assigned, StringComparer.Ordinal);
        }
    }

    private string? NextFree(HashSet<string> declared)
    {
        if (range.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new NotSupportedException("service address ranges are IPv4");
        }

        var size = 1u << (32 - range.PrefixLength);
        var bytes = range.BaseAddress.GetAddressBytes();
        var baseValue = (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]);
        // The last address (the broadcast address of a subnet) is never handed out either.
        for (; _next < size - 1; _next++)
        {
            var value = baseValue + _next;
            var candidate = new IPAddress([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]).ToString();
            if (!_used.Contains(candidate) && !declared.Contains(candidate))
            {
                _next++;
                return candidate;
            }
        }

        return null;
    }
}
