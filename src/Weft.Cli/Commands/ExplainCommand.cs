using System.Text.Json;
using Google.Protobuf;
using Weft.Config.Model;
using Weft.ControlPlane.Hosting;
using Weft.ControlPlane.Sources;
using Weft.Mesh.Compilation;
using Weft.Mesh.Model;
using Weft.Protocol.V1;
using Weft.Proxy.Explanation;

namespace Weft.Cli.Commands;

/// <summary>
/// `weft explain --from NS/WORKLOAD --to HOST[:PORT] [--method M] [--path P] [-H name=value …] [-f DIR] [-o json]`:
/// the decision trail the proxies would follow for that request — route, split, endpoints, mTLS
/// mode, authorization — computed by the proxies' own code over the configs they run (or, with
/// -f, over the configs compiled from manifests on disk). Exits 1 when the request would fail.
/// </summary>
internal static class ExplainCommand
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellation)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "-H" or "--header" && i + 1 < args.Length)
            {
                var header = args[++i].Split(['=', ':'], 2);
                headers[header[0].Trim()] = header.Length > 1 ? header[1].Trim() : "";
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        var arguments = new CliArguments([.. rest]);
        if (arguments["--denied"] is { } deniedAt)
        {
            return await ExplainDenialsAsync(arguments, deniedAt, cancellation);
        }

        var from = arguments["--from"] ?? throw new ArgumentException("--from NAMESPACE/WORKLOAD is required (or --denied WORKLOAD)");
        var to = arguments["--to"] ?? throw new ArgumentException("--to HOST[:PORT] is required");
        IReadOnlyDictionary<string, ProxyConfig> configs;
        try
        {
            configs = arguments["-f"] is { } directory ? CompileFromDisk(directory) : await FetchFromMeshAsync(arguments.StateDirectory, cancellation);
        }
        catch (MeshNotRunningException e)
        {
            Console.Error.WriteLine($"{e.Message} (or explain manifests on disk with -f DIR)");
            return 1;
        }

        if (!configs.TryGetValue(from, out var source))
        {
            Console.Error.WriteLine($"no meshed workload {from}; known: {string.Join(", ", configs.Keys.Order())}");
            return 1;
        }

        var explanation = RequestExplainer.Explain(source, configs, to, arguments["--method"] ?? "GET", arguments["--path"] ?? "/", headers);
        Console.Write(arguments.Json ? JsonSerializer.Serialize(explanation, ControlPlaneHost.JsonOptions) + "\n" : RequestExplainer.Format(explanation));
        return explanation.Outcome == "allowed" ? 0 : 1;
    }

    /// <summary>
    /// `weft explain --denied WORKLOAD [--limit N]`: the most recent requests WORKLOAD's sidecar really
    /// denied, each explained over the configs the mesh runs now.
    /// </summary>
    private static async Task<int> ExplainDenialsAsync(CliArguments arguments, string workloadName, CancellationToken cancellation)
    {
        var limit = int.TryParse(arguments["--limit"], out var n) && n > 0 ? n : 3;
        List<JsonElement> denials;
        IReadOnlyDictionary<string, ProxyConfig> configs;
        try
        {
            using var client = MeshApiClient.Open(arguments.StateDirectory);
            var (_, admin) = WorkloadFinder.FindWithSidecar(await client.GetStatusAsync(cancellation), workloadName, arguments["-n"]);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var lines = await http.GetStringAsync($"http://{admin}/tap?recent=1&reason=authz-denied", cancellation);
            denials = [.. lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
                .Where(e => e.GetProperty("reporter").GetString() == "destination")
                .DistinctBy(e => (e.Text("sourceNamespace"), e.Text("sourceWorkload"), e.Text("method"), e.Text("authority"), e.Text("path")))
                .TakeLast(limit)];
            configs = await FetchFromMeshAsync(arguments.StateDirectory, cancellation);
        }
        catch (Exception e) when (e is MeshNotRunningException or HttpRequestException)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }

        var explained = denials.Select(denial =>
        {
            var request = new DeniedRequest(denial.Text("time"), $"{denial.Text("sourceNamespace")}/{denial.Text("sourceWorkload")}", denial.Text("sourceIdentity"),
                denial.Text("method"), denial.Text("authority"), denial.Text("path"));
            return configs.TryGetValue(request.From, out var source)
                ? new ExplainedDenial(request, RequestExplainer.Explain(source, configs, request.Authority, request.Method, request.Path, new Dictionary<string, string>()), null)
                // A caller without a sidecar (or gone since): nothing to replay from its side.
                : new ExplainedDenial(request, null, $"{request.From} is not a meshed workload now: the request came from {request.Identity}");
        }).ToList();

        if (arguments.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(explained, ControlPlaneHost.JsonOptions));
            return 0;
        }

        if (explained.Count == 0)
        {
            Console.WriteLine($"{workloadName}'s sidecar has denied no request recently");
            return 0;
        }

        foreach (var (request, explanation, note) in explained)
        {
            Console.WriteLine($"── denied at {request.Time}: {request.From} ({request.Identity}) {request.Method} {request.Authority}{request.Path}");
            Console.Write(explanation is not null ? RequestExplainer.Format(explanation) : $"   {note}\n");
        }

        return 0;
    }

    private sealed record DeniedRequest(string Time, string From, string Identity, string Method, string Authority, string Path);

    private sealed record ExplainedDenial(DeniedRequest Request, Explanation? Explanation, string? Note);

    private static async Task<IReadOnlyDictionary<string, ProxyConfig>> FetchFromMeshAsync(string stateDirectory, CancellationToken cancellation)
    {
        using var client = MeshApiClient.Open(stateDirectory);
        using var http = new HttpClient { BaseAddress = new Uri(client.Mesh.ApiAddress) };
        string json;
        try
        {
            json = await http.GetStringAsync("/api/v1/proxies", cancellation);
        }
        catch (HttpRequestException e)
        {
            throw new MeshNotRunningException($"the control plane at {client.Mesh.ApiAddress} does not answer ({e.Message})");
        }

        var configs = new Dictionary<string, ProxyConfig>(StringComparer.Ordinal);
        foreach (var property in JsonDocument.Parse(json).RootElement.EnumerateObject())
        {
            configs[property.Name] = JsonParser.Default.Parse<ProxyConfig>(property.Value.GetRawText());
        }

        return configs;
    }

    /// <summary>Compiles manifests as the control plane would, with placeholder addresses for instances that are not running.</summary>
    private static IReadOnlyDictionary<string, ProxyConfig> CompileFromDisk(string directory)
    {
        using var source = new DirectoryConfigSource(directory, TimeProvider.System);
        var loaded = source.Load();
        if (loaded.HasErrors)
        {
            throw new ArgumentException($"the manifests in {directory} are invalid:\n  " + string.Join("\n  ", loaded.Diagnostics.Where(d => d.Severity == Config.Loading.DiagnosticSeverity.Error)));
        }

        // Nothing runs: every instance stands at its workload port on a documentation address (RFC 5737).
        var instances = loaded.Resources.OfType<Workload>().Select(w => new WorkloadInstance
        {
            Workload = w,
            Name = w.Name,
            Endpoints = w.Spec.Ports.ToDictionary(p => p.Port, p => $"192.0.2.1:{p.Port}"),
            AppAddresses = w.Spec.Ports.ToDictionary(p => p.Port, p => $"192.0.2.1:{p.Port}"),
        }).ToList();
        var compiled = MeshCompiler.Compile(new MeshSnapshot(loaded.Resources, instances, new MeshOptions()));
        if (compiled.HasErrors)
        {
            throw new ArgumentException($"the manifests in {directory} do not compile:\n  " + string.Join("\n  ", compiled.Diagnostics.Where(d => d.Severity == Config.Loading.DiagnosticSeverity.Error)));
        }

        return compiled.Proxies;
    }
}
