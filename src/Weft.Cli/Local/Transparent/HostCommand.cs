using System.Diagnostics;

namespace Weft.Cli.Local.Transparent;

/// <summary>Runs the host's network tools (ip, iptables); a failure names the command and what it printed.</summary>
internal static class HostCommand
{
    public static async Task<string> RunAsync(string program, IReadOnlyList<string> arguments, string? input = null, CancellationToken cancellation = default)
    {
        var (exitCode, output, error) = await TryRunAsync(program, arguments, input, cancellation);
        return exitCode == 0
            ? output
            : throw new TransparentModeException($"`{program} {string.Join(' ', arguments)}` failed (exit code {exitCode}): {error.Trim()}");
    }

    public static async Task<(int ExitCode, string Output, string Error)> TryRunAsync(string program, IReadOnlyList<string> arguments, string? input = null, CancellationToken cancellation = default)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new TransparentModeException($"could not start {program}");
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }

        var output = process.StandardOutput.ReadToEndAsync(cancellation);
        var error = process.StandardError.ReadToEndAsync(cancellation);
        await process.WaitForExitAsync(cancellation);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>The full path of <paramref name="program"/> on PATH, or null.</summary>
    public static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin"])
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
}

/// <summary>Transparent mode cannot be set up or torn down; the message says which step and why.</summary>
internal sealed class TransparentModeException(string message) : Exception(message);
