using System.Diagnostics;

namespace Weft.IntegrationTests;

/// <summary>The weft command built beside the tests, run as a user runs it: a process of its own.</summary>
public static class WeftCli
{
    /// <summary>Runs weft with <paramref name="arguments"/> and returns its exit code, standard output and standard error.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] arguments) =>
        RunProgramAsync(MeshProcess.WeftExecutable, arguments);

    /// <summary>Runs any program to its end (within a minute) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunProgramAsync(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
