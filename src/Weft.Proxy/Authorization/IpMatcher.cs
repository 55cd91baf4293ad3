using System.Net;
using System.Net.Sockets;

namespace Weft.Proxy.Authorization;

/// <summary>
/// An address or CIDR block ("10.0.0.0/8", "10.1.2.3", "fd00::/8"). An IPv4 block also matches the
/// IPv4-mapped IPv6 form (::ffff:a.b.c.d) that dual-mode sockets report, without converting per request.
/// </summary>
internal sealed class IpMatcher
{
    private readonly IPNetwork _network;
    private readonly IPNetwork? _mapped;

    private IpMatcher(IPNetwork network, IPNetwork? mapped)
    {
        _network = network;
        _mapped = mapped;
    }

    public static IpMatcher Build(string text, string context)
    {
        IPNetwork network;
        if (text.Contains('/'))
        {
            if (!IPNetwork.TryParse(text, out network))
            {
                throw new ProxyConfigException($"{context}: invalid CIDR '{text}'.");
            }
        }
        else if (IPAddress.TryParse(text, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
        }
        else
        {
            throw new ProxyConfigException($"{context}: invalid IP address '{text}'.");
        }

        IPNetwork? mapped = network.BaseAddress.AddressFamily == AddressFamily.InterNetwork
            ? new IPNetwork(network.BaseAddress.MapToIPv6(), network.PrefixLength + 96)
            : null;
        return new IpMatcher(network, mapped);
    }

    public static IpMatcher[] BuildAll(IReadOnlyList<string> values, string context)
    {
        var matchers = new IpMatcher[values.Count];
        for (var i = 0; i < matchers.Length; i++)
        {
            matchers[i] = Build(values[i], context);
        }

        return matchers;
    }

    public static bool AnyMatch(IpMatcher[] matchers, IPAddress address)
    {
        for (var i = 0; i < matchers.Length; i++)
        {
            if (matchers[i].IsMatch(address))
            {
                return true;
            }
        }

        return false;
    }

    public bool IsMatch(IPAddress address) =>
        _network.Contains(address) || (_mapped is { } mapped && mapped.Contains(address));
}
