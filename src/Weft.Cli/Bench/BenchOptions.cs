using System.Globalization;
using Weft.Cli.Commands;

namespace Weft.Cli.Bench;

/// <summary>The HTTP version `weft bench` speaks: HTTP/1.1, or HTTP/2 (h2c prior knowledge on http://, ALPN on https://).</summary>
internal enum BenchHttpVersion
{
    Http11,
    Http2,
}

/// <summary>What one `weft bench` run is asked to do, validated.</summary>
internal sealed record BenchOptions(
    Uri Target,
    string? From,
    string? Namespace,
    double Rate,
    int Connections,
    TimeSpan Duration,
    TimeSpan Warmup,
    TimeSpan Timeout,
    BenchHttpVersion Http,
    bool Json,
    string StateDirectory)
{
    public const string Usage =
        "usage: weft bench URL [--from WORKLOAD [-n NAMESPACE]] [--rate 100] [--duration 10s] [--warmup 0s] [--connections 16] [--http 1.1|2] [--timeout 5s] [-o json]";

    private static readonly string[] Known = ["--from", "-n", "--rate", "--duration", "--warmup", "--connections", "--http", "--timeout", "-o", "--output", "--state-dir"];

    /// <exception cref="ArgumentException">An option is unknown or its value is not acceptable; the message names it and says why.</exception>
    public static BenchOptions Parse(string[] args)
    {
        var arguments = new CliArguments(args);
        foreach (var name in arguments.OptionNames)
        {
            if (Array.IndexOf(Known, name) < 0)
            {
                throw new ArgumentException($"unknown option {name}\n{Usage}");
            }
        }

        var target = ParseTarget(arguments.Positionals);
        var from = arguments["--from"];
        if (from is not null && target.Scheme != Uri.UriSchemeHttp)
        {
            // A meshed app talks plaintext to its sidecar, which adds mTLS; TLS of its own would
            // only be tunnelled through, which measures something else.
            throw new ArgumentException($"--from sends as a meshed app does, in plaintext to its sidecar (which adds mTLS): give an http:// URL, not {target}");
        }

        if (arguments["-n"] is not null && from is null)
        {
            throw new ArgumentException("-n names the namespace of the --from workload; give --from WORKLOAD too");
        }

        var rate = ParseRate(arguments["--rate"]);
        var duration = arguments.Duration("--duration", TimeSpan.FromSeconds(10));
        var warmup = ParseWarmup(arguments["--warmup"]);
        if (Math.Round(rate * duration.TotalSeconds) < 1)
        {
            throw new ArgumentException($"--rate {Format(rate)} for --duration {new Config.Model.Duration(duration)} schedules no request; raise either");
        }

        return new BenchOptions(
            target,
            from,
            arguments["-n"],
            rate,
            ParseConnections(arguments["--connections"]),
            duration,
            warmup,
            arguments.Duration("--timeout", TimeSpan.FromSeconds(5)),
            ParseHttp(arguments["--http"]),
            ParseJson(arguments["-o"] ?? arguments["--output"]),
            arguments.StateDirectory);
    }

    private static Uri ParseTarget(List<string> positionals) => positionals switch
    {
        [] => throw new ArgumentException($"the URL to send to is missing\n{Usage}"),
        [var text] => Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0
            ? uri
            : throw new ArgumentException($"URL: '{text}' is not an absolute http:// or https:// URL (e.g. http://127.0.0.1:8080/ or, with --from, http://payments/)"),
        _ => throw new ArgumentException($"one URL is sent to, got {positionals.Count}: {string.Join(" ", positionals)}"),
    };

    private static double ParseRate(string? text)
    {
        if (text is null)
        {
            return 100;
        }

        return double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var rate) && rate > 0 && double.IsFinite(rate)
            ? rate
            : throw new ArgumentException($"--rate: '{text}' is not a number of requests per second above 0");
    }

    private static int ParseConnections(string? text)
    {
        if (text is null)
        {
            return 16;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var connections) && connections is >= 1 and <= 10_000
            ? connections
            : throw new ArgumentException($"--connections: '{text}' is not a whole number from 1 to 10000");
    }

    /// <summary>Unlike the other durations a warm-up may be zero (none, the default).</summary>
    private static TimeSpan ParseWarmup(string? text)
    {
        if (text is null or "0")
        {
            return TimeSpan.Zero;
        }

        return Config.Model.Duration.TryParse(text, out var warmup)
            ? warmup.Value
            : throw new ArgumentException($"--warmup: '{text}' is not a duration (e.g. 5s, 500ms, 0 for none)");
    }

    private static BenchHttpVersion ParseHttp(string? text) => text switch
    {
        null or "1.1" => BenchHttpVersion.Http11,
        "2" or "2.0" => BenchHttpVersion.Http2,
        _ => throw new ArgumentException($"--http: '{text}' is not an HTTP version this sends (1.1 or 2)"),
    };

    private static bool ParseJson(string? text) => text switch
    {
        null => false,
        "json" => true,
        _ => throw new ArgumentException($"-o: '{text}' is not an output format (json; the default is text)"),
    };

    internal static string Format(double rate) => rate.ToString("0.###", CultureInfo.InvariantCulture);
}
