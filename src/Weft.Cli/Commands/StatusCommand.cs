using System.Text.Json;
using Weft.ControlPlane.Api;
using Weft.ControlPlane.Hosting;

namespace Weft.Cli.Commands;

/// <summary>`weft status`: the running mesh's workloads, their ports, identities and readiness.</summary>
internal static class StatusCommand
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellation)
    {
        var arguments = new CliArguments(args);
        try
        {
            using var client = MeshApiClient.Open(arguments.StateDirectory);
            var status = await client.GetStatusAsync(cancellation);
            Console.Write(arguments.Json ? JsonSerializer.Serialize(status, ControlPlaneHost.JsonOptions) + "\n" : Format(status));
            return 0;
        }
        catch (MeshNotRunningException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
    }

    public static string Format(MeshStatus status)
    {
        // Transparent mode: every pod has an address of its own, where its ports are.
        var pods = status.Workloads.Any(w => w.InOwnNetwork);
        var rows = status.Workloads.Select(w => (IReadOnlyList<string>)
        [
            $"{w.Namespace}/{w.Workload}",
            .. pods ? [w.Address] : Array.Empty<string>(),
            w.OutboundPort?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
            string.Join(",", w.InboundPorts.Select(p => $"{p.Key}→{p.Value}")),
            w.AdminPort?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
            w.Identity,
            w.Proxy?.AckedVersion ?? "-",
            w.Phase,
            w.Restarts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            w.Ready ? (w.Exited ? "completed" : "yes") : "NO: " + w.Problem,
        ]);
        IReadOnlyList<string> headers = ["WORKLOAD", .. pods ? ["ADDRESS"] : Array.Empty<string>(), "OUTBOUND", "INBOUND", "ADMIN", "IDENTITY", "CONFIG", "STATUS", "RESTARTS", "READY"];
        var table = TableWriter.Format(headers, rows);
        return $"control plane: api {status.ControlPlane.ApiAddress}, discovery {status.ControlPlane.DiscoveryAddress}, config version {status.ControlPlane.Version}\n{table}";
    }
}
