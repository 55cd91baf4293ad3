using System.Diagnostics;
using System.Text.Json;
using Weft.Cli.Bench;
using Weft.ControlPlane.Hosting;

namespace Weft.Cli.Commands;

/// <summary>
/// `weft bench URL [--from WORKLOAD] [--rate N] [--duration D] ...`: an open-loop load generator —
/// a fixed request rate, latency from each request's scheduled send time — sent straight to the
/// URL or, with --from, through a workload's sidecar in the running mesh, so that the two runs
/// side by side show what the mesh adds in this environment.
/// </summary>
internal static class BenchCommand
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellation)
    {
        if (args.Contains("-h") || args.Contains("--help"))
        {
            Console.WriteLine(BenchOptions.Usage);
            return 0;
        }

        var options = BenchOptions.Parse(args);
        BenchRoute route;
        try
        {
            route = options.From is { } from ? await ResolveAsync(options, from, cancellation) : BenchRoute.Direct;
        }
        catch (MeshNotRunningException e)
        {
            Console.Error.WriteLine($"weft bench --from {options.From}: {e.Message}");
            return 1;
        }

        using var clients = BenchClients.Create(options, route);
        await clients.OpenAsync(options.Timeout, cancellation);

        // Request 0 is due a little after now, so that starting the dispatcher thread is not
        // counted as the first requests' lag.
        var schedule = SendSchedule.Create(Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 50), Stopwatch.Frequency, options.Rate, options.Warmup, options.Duration);
        Console.Error.WriteLine($"weft bench: {schedule.TotalRequests} requests to {options.Target} at {BenchOptions.Format(options.Rate)} rps (Ctrl-C stops and prints what was measured)");
        var measurement = await new LoadGenerator(clients, schedule, options.Timeout).RunAsync(cancellation);
        var summary = BenchSummary.Of(options, route, schedule.MeasuredRequests, measurement);

        Console.Write(options.Json ? JsonSerializer.Serialize(summary, ControlPlaneHost.JsonOptions) + "\n" : BenchReport.Text(summary));
        return summary.WasInterrupted ? 130 : summary.Ok == 0 ? 1 : 0;
    }

    private static async Task<BenchRoute> ResolveAsync(BenchOptions options, string from, CancellationToken cancellation)
    {
        using var mesh = MeshApiClient.Open(options.StateDirectory);
        return SidecarRoute.Resolve(await mesh.GetStatusAsync(cancellation), from, options.Namespace);
    }
}
