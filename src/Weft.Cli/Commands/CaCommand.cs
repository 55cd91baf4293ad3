using System.Text.Json;

namespace Weft.Cli.Commands;

/// <summary>`weft ca rotate`: replace the mesh's root CA under traffic (see RootRotation).</summary>
internal static class CaCommand
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellation)
    {
        if (args.Length == 0 || args[0] != "rotate")
        {
            throw new ArgumentException("usage: weft ca rotate [--step-timeout SECONDS] [-o json]");
        }

        var arguments = new CliArguments(args[1..]);
        var stepTimeout = TimeSpan.FromSeconds(arguments["--step-timeout"] is { } text
            ? double.Parse(text, System.Globalization.CultureInfo.InvariantCulture)
            : 60);
        try
        {
            using var client = MeshApiClient.Open(arguments.StateDirectory);
            var (completed, json) = await client.RotateRootAsync(stepTimeout, cancellation);
            var result = JsonDocument.Parse(json).RootElement;
            if (arguments.Json)
            {
                Console.WriteLine(json);
            }
            else if (completed)
            {
                Console.WriteLine($"root rotated: {result.GetProperty("oldRoot").GetString()} → {result.GetProperty("newRoot").GetString()}");
                foreach (var step in result.GetProperty("steps").EnumerateArray())
                {
                    Console.WriteLine($"  {step.GetProperty("seconds").GetDouble(),6:0.0}s  {step.GetProperty("name").GetString()}");
                }
            }
            else
            {
                Console.Error.WriteLine($"weft ca rotate: {result.GetProperty("error").GetString()}");
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
