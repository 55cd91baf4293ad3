using System.Net;
using System.Text.Json;
using Weft.Mesh.Compilation;
using Weft.Mesh.Model;

namespace Weft.Cli.Local.Transparent;

/// <summary>
/// The network of a transparent mesh on this host: a bridge, and per pod a network namespace
/// joined to it by a veth pair, with its own address, hosts file and capture rules. Every step is
/// written to a ledger in the state directory before it is taken, so what a crashed `weft up`
/// left behind is found and removed at the next start; and nothing Weft did not make is touched.
/// </summary>
internal sealed class PodNetwork : IAsyncDisposable
{
    private readonly string _ledgerFile;
    private readonly NetworkLedger _ledger;
    private readonly List<PodSandbox> _pods = [];
    private readonly Lock _applyGate = new();
    private Task _applying = Task.CompletedTask;

    private PodNetwork(PodSubnet subnet, string ledgerFile, NetworkLedger ledger)
    {
        Subnet = subnet;
        _ledgerFile = ledgerFile;
        _ledger = ledger;
    }

    public PodSubnet Subnet { get; }

    /// <summary>Where a mesh started from <paramref name="stateDirectory"/> records what it made.</summary>
    public static string LedgerFile(string stateDirectory) => Path.Combine(stateDirectory, "transparent-network.json");

    public IReadOnlyList<PodSandbox> Pods => _pods;

    /// <summary>Removes what an earlier run from this state directory left, then claims a free subnet and makes its bridge.</summary>
    public static async Task<PodNetwork> CreateAsync(string stateDirectory, Action<string> report, CancellationToken cancellation)
    {
        var ledgerFile = LedgerFile(stateDirectory);
        await RemoveLeftoversAsync(ledgerFile, report, cancellation);
        var inUse = await HostNetworksAsync(cancellation);
        for (var index = 0; index < PodSubnet.Count; index++)
        {
            var subnet = new PodSubnet(index);
            if (inUse.Any(subnet.Overlaps))
            {
                continue;
            }

            // Creating the bridge is the claim: a name that exists belongs to another mesh (and never
            // enters this mesh's ledger, so this mesh's cleanup can never remove it).
            var (exitCode, _, error) = await HostCommand.TryRunAsync("ip", ["link", "add", subnet.Bridge, "type", "bridge"], cancellation: cancellation);
            if (exitCode != 0)
            {
                if (error.Contains("exists", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                throw new TransparentModeException($"`ip link add {subnet.Bridge} type bridge` failed: {error.Trim()}");
            }

            var ledger = new NetworkLedger { Pid = Environment.ProcessId, Index = index, Bridge = subnet.Bridge };
            Save(ledgerFile, ledger);

            var network = new PodNetwork(subnet, ledgerFile, ledger);
            try
            {
                await HostCommand.RunAsync("ip", ["addr", "add", $"{subnet.Gateway}/24", "dev", subnet.Bridge], cancellation: cancellation);
                await HostCommand.RunAsync("ip", ["link", "set", subnet.Bridge, "up"], cancellation: cancellation);
                // Pods talk to each other across the bridge even where the host's FORWARD policy drops (br_netfilter).
                await network.AddHostRuleAsync(["FORWARD", "-i", subnet.Bridge, "-o", subnet.Bridge, "-j", "ACCEPT"], cancellation);
            }
            catch
            {
                await network.DisposeAsync();
                throw;
            }

            return network;
        }

        throw new TransparentModeException("no free subnet in 10.77.0.0/16 for a transparent mesh (128 meshes, or the host routes the range)");
    }

    /// <summary>Lets sidecars reach the control plane's discovery port on the bridge address.</summary>
    public Task AllowControlPlaneAsync(int discoveryPort, CancellationToken cancellation) =>
        AddHostRuleAsync(["INPUT", "-i", Subnet.Bridge, "-d", $"{Subnet.Gateway}/32", "-p", "tcp", "--dport", discoveryPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "-j", "ACCEPT"], cancellation);

    /// <summary>Makes a pod: its network namespace, veth pair, address and route to the service addresses.</summary>
    public async Task<PodSandbox> AddPodAsync(string @namespace, string instance, bool meshed, CancellationToken cancellation)
    {
        var ordinal = _pods.Count;
        var pod = new PodSandbox(instance, @namespace, Subnet.NetworkNamespace(@namespace, instance), Subnet.HostVeth(ordinal), Subnet.PodAddress(ordinal), meshed);
        _ledger.Namespaces.Add(pod.NetworkNamespace);
        _ledger.HostVeths.Add(pod.HostVeth);
        Save(_ledgerFile, _ledger);
        var ns = pod.NetworkNamespace;
        await HostCommand.RunAsync("ip", ["netns", "add", ns], cancellation: cancellation);
        await HostCommand.RunAsync("ip", ["link", "add", pod.HostVeth, "type", "veth", "peer", "name", "eth0", "netns", ns], cancellation: cancellation);
        await HostCommand.RunAsync("ip", ["link", "set", pod.HostVeth, "master", Subnet.Bridge, "up"], cancellation: cancellation);
        await HostCommand.RunAsync("ip", ["-n", ns, "addr", "add", $"{pod.Address}/24", "dev", "eth0"], cancellation: cancellation);
        await HostCommand.RunAsync("ip", ["-n", ns, "link", "set", "eth0", "up"], cancellation: cancellation);
        await HostCommand.RunAsync("ip", ["-n", ns, "link", "set", "lo", "up"], cancellation: cancellation);
        // Only the service range is routed (via the bridge, where capture or DNAT takes it first):
        // there is no default route, so nothing a pod sends can leave this host's bridge.
        await HostCommand.RunAsync("ip", ["-n", ns, "route", "add", Subnet.Services.ToString(), "via", Subnet.Gateway.ToString()], cancellation: cancellation);
        Directory.CreateDirectory(EtcDirectory(ns));
        _pods.Add(pod);
        return pod;
    }

    /// <summary>
    /// Brings every pod's hosts file and capture (or service) rules up to date with a published
    /// mesh: service addresses and endpoints change as Services and Workloads do.
    /// </summary>
    public Task ApplyAsync(MeshSnapshot snapshot, CancellationToken cancellation)
    {
        lock (_applyGate)
        {
            // One update at a time, in publication order.
            _applying = _applying.ContinueWith(_ => ApplyNowAsync(snapshot, cancellation), cancellation, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
            return _applying;
        }
    }

    private async Task ApplyNowAsync(MeshSnapshot snapshot, CancellationToken cancellation)
    {
        var services = MeshCompiler.Backends(snapshot);
        var addressOf = _pods.ToDictionary(p => $"{p.Namespace}/{p.Instance}", p => p.Address, StringComparer.Ordinal);
        var routes = new List<ServiceRoute>();
        foreach (var service in services)
        {
            var endpoints = service.Backends
                .Where(b => addressOf.ContainsKey(b.InstanceKey))
                .Select(b => new IPEndPoint(addressOf[b.InstanceKey], b.WorkloadPort))
                .ToList();
            routes.AddRange(service.Addresses.Select(address => new ServiceRoute(address, service.Port, endpoints)));
        }

        foreach (var pod in _pods)
        {
            var hosts = HostsFile.For(pod.Namespace, pod.Instance, pod.Address.ToString(), services);
            var hostsFile = Path.Combine(EtcDirectory(pod.NetworkNamespace), "hosts");
            if (!File.Exists(hostsFile) || await File.ReadAllTextAsync(hostsFile, cancellation) != hosts)
            {
                // Rewritten in place: running processes see the bind-mounted file, not a new one.
                await using var stream = new FileStream(hostsFile, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite);
                stream.SetLength(0);
                await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(hosts), cancellation);
            }

            var rules = pod.Meshed ? CaptureRules.Meshed(Subnet.Services) : CaptureRules.Unmeshed(Subnet.Services, routes);
            if (rules != pod.AppliedRules)
            {
                await HostCommand.RunAsync("ip", ["netns", "exec", pod.NetworkNamespace, "iptables-restore"], rules, cancellation);
                pod.AppliedRules = rules;
            }
        }
    }

    private async Task AddHostRuleAsync(string[] rule, CancellationToken cancellation)
    {
        var tagged = (string[])[.. rule, "-m", "comment", "--comment", $"weft {Subnet.Bridge}"];
        _ledger.HostRules.Add(tagged);
        Save(_ledgerFile, _ledger);
        await HostCommand.RunAsync("iptables", ["-I", .. tagged], cancellation: cancellation);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _applying;
        }
        catch (Exception e) when (e is OperationCanceledException or TransparentModeException)
        {
        }

        await RemoveAsync(_ledger, CancellationToken.None);
        File.Delete(_ledgerFile);
    }

    private static async Task RemoveLeftoversAsync(string ledgerFile, Action<string> report, CancellationToken cancellation)
    {
        if (!File.Exists(ledgerFile) || JsonSerializer.Deserialize<NetworkLedger>(await File.ReadAllTextAsync(ledgerFile, cancellation)) is not { } ledger)
        {
            return;
        }

        if (ledger.Pid != Environment.ProcessId && Directory.Exists($"/proc/{ledger.Pid}"))
        {
            throw new TransparentModeException($"the transparent mesh of pid {ledger.Pid} still runs from this state directory");
        }

        report($"removing what an earlier `weft up --transparent` (pid {ledger.Pid}) left behind: bridge {ledger.Bridge}, {ledger.Namespaces.Count} network namespaces, {ledger.HostRules.Count} host rules");
        await RemoveAsync(ledger, cancellation);
        File.Delete(ledgerFile);
    }

    /// <summary>Removes everything a ledger names; what is already gone is skipped.</summary>
    private static async Task RemoveAsync(NetworkLedger ledger, CancellationToken cancellation)
    {
        foreach (var ns in ledger.Namespaces)
        {
            // Processes still inside (an app that outlived a crash) would keep the namespace alive.
            var (_, pids, _) = await HostCommand.TryRunAsync("ip", ["netns", "pids", ns], cancellation: cancellation);
            foreach (var pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (int.TryParse(pid, out var id))
                {
                    try
                    {
                        System.Diagnostics.Process.GetProcessById(id).Kill(entireProcessTree: true);
                    }
                    catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                    {
                    }
                }
            }

            await HostCommand.TryRunAsync("ip", ["netns", "del", ns], cancellation: cancellation);
            if (Directory.Exists(EtcDirectory(ns)))
            {
                Directory.Delete(EtcDirectory(ns), recursive: true);
            }
        }

        foreach (var veth in ledger.HostVeths)
        {
            await HostCommand.TryRunAsync("ip", ["link", "del", veth], cancellation: cancellation); // usually gone with its namespace
        }

        foreach (var rule in ledger.HostRules)
        {
            await HostCommand.TryRunAsync("iptables", ["-D", .. rule], cancellation: cancellation);
        }

        if (ledger.Bridge is { Length: > 0 } bridge)
        {
            await HostCommand.TryRunAsync("ip", ["link", "del", bridge], cancellation: cancellation);
        }

        // /etc/netns exists for Weft's pods only if nothing else put files there.
        try
        {
            if (Directory.Exists(EtcNetns) && !Directory.EnumerateFileSystemEntries(EtcNetns).Any())
            {
                Directory.Delete(EtcNetns);
            }
        }
        catch (IOException)
        {
            // another mesh made its pods' directory there meanwhile: it stays
        }
    }

    /// <summary>Every IPv4 network the host has an address or route in, so a mesh never shadows one.</summary>
    private static async Task<List<IPNetwork>> HostNetworksAsync(CancellationToken cancellation)
    {
        var networks = new List<IPNetwork>();
        foreach (var command in new[] { new[] { "-4", "-o", "addr", "show" }, ["-4", "route", "show", "table", "all"] })
        {
            var output = await HostCommand.RunAsync("ip", command, cancellation: cancellation);
            foreach (var token in output.Split([' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries))
            {
                // "10.0.0.0/8" (a route) or "192.168.1.7/24" (an interface address, host bits set).
                if (token.Split('/') is [var address, var prefix] && IPAddress.TryParse(address, out var ip)
                    && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && int.TryParse(prefix, out var length) && length is >= 8 and <= 32)
                {
                    var bits = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(ip.GetAddressBytes()) & (uint.MaxValue << (32 - length));
                    var masked = new byte[4];
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(masked, bits);
                    networks.Add(new IPNetwork(new IPAddress(masked), length));
                }
            }
        }

        return networks;
    }

    private const string EtcNetns = "/etc/netns";

    private static string EtcDirectory(string networkNamespace) => Path.Combine(EtcNetns, networkNamespace);

    private static void Save(string file, NetworkLedger ledger)
    {
        File.WriteAllText(file + ".tmp", JsonSerializer.Serialize(ledger));
        File.Move(file + ".tmp", file, overwrite: true);
    }
}

/// <summary>One pod of a transparent mesh.</summary>
internal sealed record PodSandbox(string Instance, string Namespace, string NetworkNamespace, string HostVeth, IPAddress Address, bool Meshed)
{
    /// <summary>The iptables-restore text in force in its namespace.</summary>
    public string? AppliedRules { get; set; }
}

/// <summary>What a transparent mesh made on the host, saved before each step (see <see cref="PodNetwork"/>).</summary>
internal sealed class NetworkLedger
{
    public int Pid { get; set; }
    public int Index { get; set; }
    public string Bridge { get; set; } = "";
    public List<string> Namespaces { get; set; } = [];
    public List<string> HostVeths { get; set; } = [];
    public List<string[]> HostRules { get; set; } = [];
}
