namespace Weft.IntegrationTests.Transparent;

/// <summary>
/// Makes one pod's link slow and lossy, and restores it. With the kernel's netem qdisc: netem delay
/// and loss on the host end of its veth. Kernels built without netem (CONFIG_NET_SCH_NETEM, as on
/// this project's CI machines) get the same two faults from what they do have: a token bucket
/// (tbf) so slow that a request waits behind it, and iptables dropping a share of the pod's packets.
/// </summary>
public sealed class FaultyLink : IAsyncDisposable
{
    private readonly Func<Task> _restore;

    private FaultyLink(string how, Func<Task> restore)
    {
        How = how;
        _restore = restore;
    }

    /// <summary>What was done to the link, for the test's messages.</summary>
    public string How { get; }

    public static async Task<FaultyLink> ApplyAsync(string hostVeth, string podNamespace, string gateway)
    {
        try
        {
            await TransparentHost.RunAsync("tc", "qdisc", "add", "dev", hostVeth, "root", "netem", "delay", "1500ms", "loss", "30%");
            return new FaultyLink("netem delay 1500ms loss 30%", () => TransparentHost.RunAsync("tc", "qdisc", "del", "dev", hostVeth, "root"));
        }
        catch (InvalidOperationException e) when (e.Message.Contains("qdisc kind is unknown", StringComparison.Ordinal))
        {
        }

        await TransparentHost.RunAsync("tc", "qdisc", "add", "dev", hostVeth, "root", "tbf", "rate", "1kbit", "burst", "1600", "latency", "10s");
        string[] drop = ["-i", "eth0", "-p", "tcp", "!", "-s", gateway, "-m", "statistic", "--mode", "random", "--probability", "0.3", "-j", "DROP"];
        await TransparentHost.RunAsync("ip", ["netns", "exec", podNamespace, "iptables", "-I", "INPUT", .. drop]);
        return new FaultyLink("tbf rate 1kbit (no netem in this kernel) and 30% of packets dropped by iptables", async () =>
        {
            await TransparentHost.RunAsync("tc", "qdisc", "del", "dev", hostVeth, "root");
            await TransparentHost.RunAsync("ip", ["netns", "exec", podNamespace, "iptables", "-D", "INPUT", .. drop]);
        });
    }

    public async ValueTask DisposeAsync() => await _restore();
}
