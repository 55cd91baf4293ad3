using System.Text.Json;
using Weft.Cli.Local.Transparent;

namespace Weft.IntegrationTests.Transparent;

/// <summary>What transparent mode needs of this machine, and the host commands its tests run.</summary>
public static class TransparentHost
{
    /// <summary>Null when transparent meshes can run here; otherwise why not (the same check `weft up --transparent` makes).</summary>
    public static string? SkipReason { get; } = TransparentPrerequisites.Missing();

    public static string? Which(string program) => HostCommand.Find(program);

    /// <summary>Runs a host command and returns its output; a failure throws with what it printed.</summary>
    public static async Task<string> RunAsync(string program, params string[] arguments)
    {
        var (exitCode, output, error) = await WeftCli.RunProgramAsync(program, arguments);
        return exitCode == 0 ? output : throw new InvalidOperationException($"{program} {string.Join(' ', arguments)}: exit {exitCode}: {error}");
    }

    /// <summary>The record `weft up --transparent` keeps of what it made (bridge, namespaces, host veths, host rules).</summary>
    internal static NetworkLedger ReadLedger(string stateDirectory) =>
        JsonSerializer.Deserialize<NetworkLedger>(File.ReadAllText(PodNetwork.LedgerFile(stateDirectory)))!;

    /// <summary>What of a ledger's bridge prefix still exists on the host: namespaces, links, rules, /etc/netns entries.</summary>
    public static async Task<List<string>> LeftoversAsync(string bridge)
    {
        var left = new List<string>();
        left.AddRange((await RunAsync("ip", "netns", "list")).Split('\n').Where(l => l.StartsWith($"{bridge}-", StringComparison.Ordinal)).Select(l => "netns " + l));
        left.AddRange((await RunAsync("ip", "-o", "link", "show")).Split('\n')
            .Select(l => l.Split(':', 3) is [_, var name, _] ? name.Trim().Split('@')[0] : "")
            .Where(n => n == bridge || n.StartsWith($"{bridge}v", StringComparison.Ordinal)).Select(n => "link " + n));
        left.AddRange((await RunAsync("iptables-save")).Split('\n').Where(l => l.Contains($"weft {bridge}", StringComparison.Ordinal)).Select(l => "rule " + l));
        if (Directory.Exists("/etc/netns"))
        {
            left.AddRange(Directory.GetDirectories("/etc/netns", $"{bridge}-*").Select(d => "dir " + d));
        }

        return left;
    }
}

/// <summary>A test that runs only where transparent meshes can (root, Linux, the network tools); skipped with the reason elsewhere.</summary>
public sealed class TransparentFactAttribute : FactAttribute
{
    /// <param name="alsoNeeds">Tools this test needs beyond transparent mode's own (tcpdump, tc).</param>
    public TransparentFactAttribute(params string[] alsoNeeds)
    {
        if (TransparentHost.SkipReason is { } reason)
        {
            Skip = reason;
        }
        else if (alsoNeeds.Where(t => TransparentHost.Which(t) is null).ToList() is { Count: > 0 } missing)
        {
            Skip = $"needs {string.Join(", ", missing)} (apt-get install tcpdump iproute2; .ci/run does)";
        }
    }
}

/// <summary>A mesh started with `weft up --transparent`, or none where that cannot run.</summary>
public abstract class TransparentMeshFixture(string example) : IAsyncLifetime
{
    public MeshProcess Mesh { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (TransparentHost.SkipReason is null)
        {
            Mesh = await MeshProcess.StartAsync(example, "--transparent");
        }
    }

    public async Task DisposeAsync()
    {
        if (Mesh is not null)
        {
            await Mesh.DisposeAsync();
        }
    }
}
