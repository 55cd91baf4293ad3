using System.Text.Json;
using Weft.Config.Loading;
using Weft.ControlPlane.Hosting;
using Weft.ControlPlane.Sources;
using Weft.Mesh.Analysis;
using Weft.Mesh.Model;

namespace Weft.Cli.Commands;

/// <summary>
/// `weft analyze [DIR] [-f FILE …] [--live] [-o json]`: findings about manifests before they are
/// applied — or, with --live, about the running mesh: its config directory plus what its sidecars
/// show (see <see cref="LiveFindings"/>) — each with its severity, code, resource, file:line and a
/// fix. Exits 1 when it finds an error or a warning, so it can gate CI.
/// </summary>
internal static class AnalyzeCommand
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellation)
    {
        var files = new List<string>();
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "-f" && i + 1 < args.Length)
            {
                files.Add(args[++i]);
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        var live = rest.Remove("--live");
        var arguments = new CliArguments([.. rest]);
        var loaded = new LoadResult();
        MeshApiClient? client = null;
        if (live)
        {
            try
            {
                client = MeshApiClient.Open(arguments.StateDirectory);
            }
            catch (MeshNotRunningException e)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }
        }

        using var _ = client;
        IEnumerable<string> directories = client is not null ? [client.Mesh.ConfigDirectory]
            : arguments.Positionals.Count == 0 && files.Count == 0 ? ["."] : arguments.Positionals;
        foreach (var directory in directories)
        {
            if (!Directory.Exists(directory))
            {
                throw new ArgumentException($"{directory}: no such directory");
            }

            using var source = new DirectoryConfigSource(directory, TimeProvider.System);
            loaded.Add(source.Load());
        }

        foreach (var file in files)
        {
            loaded.Add(ManifestLoader.Load(File.ReadAllText(file), file));
        }

        var findings = MeshAnalyzer.Analyze(loaded, new MeshOptions());
        if (client is not null)
        {
            try
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
                findings.AddRange(await LiveFindings.FindAsync(await client.GetStatusAsync(cancellation), loaded.Resources, http, cancellation));
            }
            catch (MeshNotRunningException e)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }
        }

        if (arguments.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(findings.Select(f => new
            {
                severity = f.Severity.ToString(),
                code = f.Code,
                resource = f.Resource,
                file = f.Location.File,
                line = f.Location.Line,
                field = f.Field,
                message = f.Message,
            }), ControlPlaneHost.JsonOptions));
        }
        else
        {
            foreach (var finding in findings)
            {
                Console.WriteLine(finding);
            }

            Console.WriteLine(findings.Count == 0 ? $"✔ no problems in {loaded.Resources.Count} resources" : $"{findings.Count} finding(s) in {loaded.Resources.Count} resources");
        }

        return findings.Exists(f => f.Severity is DiagnosticSeverity.Error or DiagnosticSeverity.Warning) ? 1 : 0;
    }
}
