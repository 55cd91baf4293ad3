namespace Weft.Cli.Commands;

/// <summary>
/// `weft logs WORKLOAD [-n NAMESPACE] [--follow] [--sidecar|--app]`: the workload's access log (JSON
/// lines, one per request its sidecar handled), or its sidecar's or app's own output.
/// </summary>
internal static class LogsCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellation)
    {
        var arguments = new CliArguments(args, "--follow", "-f", "--sidecar", "--app");
        if (arguments.Positionals.Count != 1)
        {
            throw new ArgumentException("usage: weft logs WORKLOAD [-n NAMESPACE] [--follow] [--sidecar|--app]");
        }

        try
        {
            using var client = MeshApiClient.Open(arguments.StateDirectory);
            var status = await client.GetStatusAsync(cancellation);
            var name = arguments.Positionals[0];
            ControlPlane.Api.WorkloadStatus[] matches = [WorkloadFinder.Find(status, name, arguments["-n"])];

            var kind = arguments["--sidecar"] is not null ? "sidecar" : arguments["--app"] is not null ? "app" : "access";
            var file = Path.Combine(client.Mesh.StateDirectory, "logs", $"{matches[0].Namespace}.{matches[0].Workload}.{kind}.log");
            if (!File.Exists(file))
            {
                Console.Error.WriteLine(kind == "access" && !matches[0].Meshed
                    ? $"{matches[0].Namespace}/{name} has no sidecar, so no access log"
                    : $"no log yet at {file}");
                return 1;
            }

            await CopyAsync(file, arguments["--follow"] is not null || arguments["-f"] is not null, cancellation);
            return 0;
        }
        catch (MeshNotRunningException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
    }

    private static async Task CopyAsync(string file, bool follow, CancellationToken cancellation)
    {
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var output = Console.Out;
        while (true)
        {
            while (await reader.ReadLineAsync(cancellation) is { } line)
            {
                await output.WriteLineAsync(line);
            }

            await output.FlushAsync(cancellation);
            if (!follow)
            {
                return;
            }

            try
            {
                await Task.Delay(PollInterval, cancellation);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
