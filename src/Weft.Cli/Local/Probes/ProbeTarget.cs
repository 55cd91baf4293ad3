using Weft.Config.Model;

namespace Weft.Cli.Local.Probes;

/// <summary>
/// Where an instance's probes go: the app's host (loopback in explicit mode, the pod's address in
/// transparent mode), the port the app really listens on for each workload port, and how to run
/// an exec probe beside the app (in its network namespace, with its environment).
/// </summary>
internal sealed record ProbeTarget(
    string Host,
    IReadOnlyList<WorkloadPort> Ports,
    IReadOnlyDictionary<int, int> AppPorts,
    IReadOnlyList<string> ExecPrefix,
    IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>A probe's port (a workload port's number or name) → the port to connect to.</summary>
    public int Resolve(IntOrString port)
    {
        var number = port.Number ?? Ports.FirstOrDefault(p => p.Name == port.Text)?.Port
            ?? throw new ArgumentException($"no port named '{port.Text}'"); // the loader refuses such a probe
        // A declared port is where the runtime told the app to listen; any other number is used as is.
        return AppPorts.TryGetValue(number, out var app) ? app : number;
    }
}
