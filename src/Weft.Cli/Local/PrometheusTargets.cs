using System.Text.Json;
using Weft.ControlPlane.Api;

namespace Weft.Cli.Local;

/// <summary>
/// Prometheus file-based service discovery for the running mesh: one target per sidecar admin port,
/// labelled with its workload, so any Prometheus can scrape every proxy with a `file_sd_configs` entry.
/// </summary>
internal static class PrometheusTargets
{
    public static string Render(MeshStatus status)
    {
        var groups = status.Workloads
            .Where(w => w.AdminPort is not null)
            .Select(w => new Dictionary<string, object>
            {
                ["targets"] = new[] { w.AdminEndpoint },
                ["labels"] = new Dictionary<string, string> { ["namespace"] = w.Namespace, ["workload"] = w.Workload },
            });
        return JsonSerializer.Serialize(groups, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Writes atomically (rename), as Prometheus re-reads the file whenever it changes.</summary>
    public static async Task WriteAsync(string path, MeshStatus status, CancellationToken cancellation)
    {
        var temporary = path + ".tmp";
        await File.WriteAllTextAsync(temporary, Render(status), cancellation);
        File.Move(temporary, path, overwrite: true);
    }
}
