using System.Globalization;
using System.Text.Json;

namespace Weft.Cli.Commands;

/// <summary>
/// `weft restart WORKLOAD`: replaces a workload's replicas one at a time in the running mesh, as
/// `kubectl rollout restart` does — each new replica ready before the next old one is withdrawn,
/// drained and stopped.
/// </summary>
internal static class RestartCommand
{
    private const string Usage = "usage: weft restart WORKLOAD [-n NAMESPACE] [-o json]";

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellation)
    {
        var arguments = new CliArguments(args);
        if (arguments.Positionals.Count != 1)
        {
            throw new ArgumentException(Usage);
        }

        try
        {
            using var client = MeshApiClient.Open(arguments.StateDirectory);
            var status = await client.GetStatusAsync(cancellation);
            var name = arguments.Positionals[0];
            var namespaces = status.Workloads
                .Where(w => $"{w.Namespace}/{w.Owner}" == name || (w.Owner == name && (arguments["-n"] is not { } ns || w.Namespace == ns)))
                .Select(w => w.Namespace).Distinct().ToList();
            var (@namespace, workload) = namespaces switch
            {
                [var one] => (one, name.Split('/')[^1]),
                [] => throw new ArgumentException($"no workload {name} is running; `weft status` lists them"),
                _ => throw new ArgumentException($"{name} exists in several namespaces ({string.Join(", ", namespaces)}); pick one with -n or NAMESPACE/{name}"),
            };

            var (completed, json) = await client.RestartAsync(@namespace, workload, cancellation);
            var result = JsonDocument.Parse(json).RootElement;
            if (arguments.Json)
            {
                Console.WriteLine(json);
            }
            else if (completed)
            {
                Console.WriteLine($"{@namespace}/{workload} restarted");
                foreach (var step in result.GetProperty("steps").EnumerateArray())
                {
                    Console.WriteLine($"  {step.GetProperty("seconds").GetDouble().ToString("0.0", CultureInfo.InvariantCulture),6}s  {step.GetProperty("new").GetString()} replaced {step.GetProperty("old").GetString()}");
                }
            }
            else
            {
                Console.Error.WriteLine($"weft restart: {result.GetProperty("error").GetString()}");
            }

            return completed ? 0 : 1;
        }
        catch (MeshNotRunningException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
    }
}
