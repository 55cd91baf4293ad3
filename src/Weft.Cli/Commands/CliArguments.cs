namespace Weft.Cli.Commands;

/// <summary>The few argument shapes the commands share: positionals, --name value, and -o json.</summary>
internal sealed class CliArguments
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);

    public CliArguments(string[] args, params string[] flags)
    {
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (Array.IndexOf(flags, arg) >= 0)
            {
                _options[arg] = "true";
            }
            else if (arg.StartsWith('-') && arg.Length > 1)
            {
                if (i + 1 >= args.Length)
                {
                    throw new ArgumentException($"{arg} needs a value");
                }

                _options[arg] = args[++i];
            }
            else
            {
                Positionals.Add(arg);
            }
        }
    }

    public List<string> Positionals { get; } = [];

    public string? this[string name] => _options.GetValueOrDefault(name);

    /// <summary>The options given (flags included), for commands that refuse the ones they do not know.</summary>
    public IEnumerable<string> OptionNames => _options.Keys;

    public bool Json => this["-o"] is "json" || this["--output"] is "json";

    public string StateDirectory => this["--state-dir"] ?? StatePaths.DefaultDirectory;

    /// <summary>A duration option such as --window 10s; <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="ArgumentException">The value is not a positive duration.</exception>
    public TimeSpan Duration(string name, TimeSpan? fallback) =>
        this[name] is not { } text
            ? fallback ?? throw new ArgumentException($"{name} is required")
            : Config.Model.Duration.TryParse(text, out var parsed) && parsed.Value > TimeSpan.Zero
                ? parsed.Value
                : throw new ArgumentException($"{name}: '{text}' is not a duration (e.g. 10s, 1m)");
}

/// <summary>Where a running mesh leaves what other commands need to find it.</summary>
internal static class StatePaths
{
    public static string DefaultDirectory =>
        Environment.GetEnvironmentVariable("WEFT_HOME") is { Length: > 0 } home
            ? home
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".weft");

    public static string MeshFile(string stateDirectory) => Path.Combine(stateDirectory, "mesh.json");
}
