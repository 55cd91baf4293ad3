using Weft.Config.Loading;

namespace Weft.ControlPlane.Sources;

/// <summary>
/// The local config source: every *.yaml, *.yml and *.json file under a directory (hidden
/// directories skipped), read as one set of resources, and re-read whenever a file changes.
/// </summary>
public sealed class DirectoryConfigSource : IConfigSource
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];
    private readonly string _directory;
    private readonly FileSystemWatcher _watcher;
    private readonly TimeSpan _debounce;
    private readonly TimeProvider _time;
    private ITimer? _pending;

    public DirectoryConfigSource(string directory, TimeProvider time, TimeSpan? debounce = null)
    {
        _directory = Path.GetFullPath(directory);
        _time = time;
        _debounce = debounce ?? TimeSpan.FromMilliseconds(150);
        _watcher = new FileSystemWatcher(_directory) { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
        _watcher.Changed += OnChange;
        _watcher.Created += OnChange;
        _watcher.Deleted += OnChange;
        _watcher.Renamed += OnChange;
    }

    public string Directory => _directory;

    public string Description => _directory;

    /// <summary>Raised (debounced) after files change; handlers call <see cref="Load"/>.</summary>
    public event Action? Changed;

    public void StartWatching() => _watcher.EnableRaisingEvents = true;

    public LoadResult Load()
    {
        var result = new LoadResult();
        foreach (var file in EnumerateFiles())
        {
            var display = Path.GetRelativePath(Environment.CurrentDirectory, file);
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (IOException e)
            {
                result.Diagnostics.Add(new ConfigDiagnostic(DiagnosticSeverity.Error, DiagnosticCodes.YamlSyntax, new(display, 0, 0), null, "", $"cannot read: {e.Message}"));
                continue;
            }

            result.Add(ManifestLoader.Load(text, display));
        }

        return result;
    }

    private IEnumerable<string> EnumerateFiles()
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden };
        return System.IO.Directory.EnumerateFiles(_directory, "*", options)
            .Where(f => Array.IndexOf(Extensions, Path.GetExtension(f).ToLowerInvariant()) >= 0)
            .Where(f => !Path.GetRelativePath(_directory, f).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.')))
            .Order(StringComparer.Ordinal);
    }

    private void OnChange(object sender, FileSystemEventArgs e)
    {
        if (Path.GetFileName(e.FullPath).StartsWith('.') || !Array.Exists(Extensions, x => e.FullPath.EndsWith(x, StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }

        // Editors write a file in several steps; wait until they are done before reading.
        lock (_watcher)
        {
            _pending?.Dispose();
            _pending = _time.CreateTimer(_ => Changed?.Invoke(), null, _debounce, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        _watcher.Dispose();
        _pending?.Dispose();
    }
}
