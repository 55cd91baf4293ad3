using System.Globalization;
using System.Net;

namespace Weft.Cli.Local.Transparent;

/// <summary>
/// The addresses and names of one transparent mesh, all derived from its index k (0–127) so that
/// meshes from different state directories never collide: pods in 10.77.(2k).0/24 behind the bridge
/// weft{k} at .1, service virtual IPs in 10.77.(2k+1).0/24, and every namespace and link Weft makes
/// named with the weft{k} prefix. Nothing outside 10.77.0.0/16 is ever used.
/// </summary>
internal sealed record PodSubnet(int Index)
{
    public const int Count = 128;
    public const int MaxPods = 252; // .2 – .253: .0 is the network, .1 the bridge, .255 broadcast

    public string Bridge => $"weft{Index.ToString(CultureInfo.InvariantCulture)}";

    public IPNetwork Pods => new(new IPAddress([10, 77, (byte)(2 * Index), 0]), 24);

    public IPNetwork Services => new(new IPAddress([10, 77, (byte)(2 * Index + 1), 0]), 24);

    public IPAddress Gateway => new([10, 77, (byte)(2 * Index), 1]);

    public IPAddress PodAddress(int ordinal) =>
        ordinal is >= 0 and < MaxPods ? new IPAddress([10, 77, (byte)(2 * Index), (byte)(ordinal + 2)]) : throw new InvalidOperationException($"a transparent mesh holds at most {MaxPods} pods");

    /// <summary>The network namespace of a pod (ip netns names are file names: no length limit that matters here).</summary>
    public string NetworkNamespace(string @namespace, string instance) => $"{Bridge}-{@namespace}-{instance}";

    /// <summary>The host end of a pod's veth pair (interface names are at most 15 bytes: weft127v251 is 11).</summary>
    public string HostVeth(int ordinal) => $"{Bridge}v{ordinal.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>True when <paramref name="cidr"/> (an address/prefix the host already routes) overlaps this mesh's /23.</summary>
    public bool Overlaps(IPNetwork cidr)
    {
        var own = new IPNetwork(Pods.BaseAddress, 23);
        return own.Contains(cidr.BaseAddress) || cidr.Contains(own.BaseAddress);
    }
}
