using System.Globalization;
using System.Text.Json;

namespace Weft.Cli.Commands;

/// <summary>
/// `weft tap WORKLOAD [--path PREFIX] [--status CODE|5xx] [--duration D] [-o json]`: a live stream of
/// the requests WORKLOAD's sidecar handles — both directions, with the caller's verified identity,
/// status, latency and x-weft-reason — until Ctrl-C (or for D).
/// </summary>
internal static class TapCommand
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellation)
    {
        var arguments = new CliArguments(args);
        if (arguments.Positionals.Count != 1)
        {
            throw new ArgumentException("usage: weft tap WORKLOAD [-n NAMESPACE] [--path PREFIX] [--status CODE|5xx] [--duration D] [-o json]");
        }

        var filter = new TapFilter(arguments["--path"], arguments["--status"]);
        try
        {
            using var client = MeshApiClient.Open(arguments.StateDirectory);
            var (_, admin) = WorkloadFinder.FindWithSidecar(await client.GetStatusAsync(cancellation), arguments.Positionals[0], arguments["-n"]);
            using var duration = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            if (arguments["--duration"] is not null)
            {
                duration.CancelAfter(arguments.Duration("--duration", null));
            }

            await foreach (var entry in FollowAsync(admin, duration.Token))
            {
                if (filter.Matches(entry))
                {
                    Console.WriteLine(arguments.Json ? entry.GetRawText() : Format(entry));
                }
            }

            return 0;
        }
        catch (MeshNotRunningException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
    }

    /// <summary>The sidecar's tap stream until <paramref name="cancellation"/>; ends quietly then.</summary>
    public static async IAsyncEnumerable<JsonElement> FollowAsync(string admin, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        Stream stream;
        try
        {
            stream = await http.GetStreamAsync($"http://{admin}/tap", cancellation);
        }
        catch (OperationCanceledException)
        {
            yield break;
        }

        using var reader = new StreamReader(stream);
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(cancellation);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                yield break;
            }

            if (line is null)
            {
                yield break;
            }

            yield return JsonDocument.Parse(line).RootElement.Clone();
        }
    }

    private static string Format(JsonElement entry)
    {
        var inbound = entry.GetProperty("reporter").GetString() == "destination";
        var peer = inbound ? entry.Text("sourceIdentity") : entry.Text("destinationIdentity");
        var reason = entry.Text("reason");
        return string.Create(CultureInfo.InvariantCulture,
            $"{entry.GetProperty("time").GetDateTimeOffset():HH:mm:ss.fff} {(inbound ? "in  ←" : "out →")} {(peer is "unknown" or "" ? "(no identity)" : peer)} {entry.Text("method")} {entry.Text("authority")}{entry.Text("path")} {entry.GetProperty("status").GetInt32()} {entry.GetProperty("durationMs").GetDouble():0.###}ms{(reason is "-" or "" ? "" : " " + reason)}");
    }

    /// <summary>--path (a prefix) and --status (a code, or a class such as 5xx).</summary>
    public sealed class TapFilter(string? pathPrefix, string? status)
    {
        public bool Matches(JsonElement entry)
        {
            if (pathPrefix is not null && !entry.Text("path").StartsWith(pathPrefix, StringComparison.Ordinal))
            {
                return false;
            }

            if (status is null)
            {
                return true;
            }

            var code = entry.GetProperty("status").GetInt32().ToString(CultureInfo.InvariantCulture);
            return status.EndsWith("xx", StringComparison.Ordinal) ? code.StartsWith(status[0]) : code == status;
        }
    }
}
