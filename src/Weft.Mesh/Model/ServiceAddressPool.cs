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
    private readonly Lock _gate = new();
    private readonly uint _base = range.BaseAddress.AddressFamily == AddressFamily.InterNetwork
        ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(range.BaseAddress.GetAddressBytes())
        : throw new NotSupportedException("service address ranges are IPv4");

    // Addresses are handed out in order and never twice: every one below _next is taken or declared.
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
                var address = NextFree(declared) ?? throw new InvalidOperationException($"the service address range {range} is exhausted ({_assigned.Count} assigned)");
                _assigned[fqdn] = address;
            }

            return new Dictionary<string, string>(_assigned, StringComparer.Ordinal);
        }
    }

    private string? NextFree(HashSet<string> declared)
    {
        var size = 1u << (32 - range.PrefixLength);
        Span<byte> bytes = stackalloc byte[4];
        // The last address (the broadcast address of a subnet) is never handed out either.
        for (; _next < size - 1; _next++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, _base + _next);
            var candidate = new IPAddress(bytes).ToString();
            if (!declared.Contains(candidate))
            {
                _next++;
                return candidate;
            }
        }

        return null;
    }
}
