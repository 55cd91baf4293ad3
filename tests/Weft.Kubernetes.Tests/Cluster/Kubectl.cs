using System.Diagnostics;
using System.Text;

namespace Weft.Kubernetes.Tests.Cluster;

/// <summary>What a kubectl run printed and how it exited.</summary>
public sealed record KubectlResult(int ExitCode, string Output, string Error)
{
    public KubectlResult OrThrow(string what) =>
        ExitCode == 0 ? this : throw new InvalidOperationException($"kubectl {what}: exit {ExitCode}: {Error.Trim()} {Output.Trim()}");
}

/// <summary>
/// Runs kubectl against the test cluster — for what the tests do as a user does it (exec, port-forward,
/// apply), and for what the client library makes awkward. WEFT_TEST_KUBECTL overrides the one on PATH.
/// </summary>
public sealed class Kubectl(string kubeconfig)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable("WEFT_TEST_KUBECTL") is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : null;
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "kubectl")).FirstOrDefault(File.Exists);
    }

    /// <summary>Runs kubectl with <paramref name="arguments"/> (and <paramref name="input"/> on stdin), killed at the timeout.</summary>
    public async Task<KubectlResult> RunAsync(IEnumerable<string> arguments, string? input = null, TimeSpan? timeout = null, CancellationToken cancellation = default)
    {
        using var process = Start(arguments, redirectInput: true);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout ?? DefaultTimeout);
        var output = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var error = process.StandardError.ReadToEndAsync(deadline.Token);
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input.AsMemory(), deadline.Token);
        }

        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync(deadline.Token);
            return new KubectlResult(process.ExitCode, await output, await error);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl {string.Join(' ', arguments)}: no exit within {(timeout ?? DefaultTimeout).TotalSeconds} s");
        }
    }

    public Task<KubectlResult> RunAsync(params string[] arguments) => RunAsync(arguments, input: null);

    /// <summary>Applies manifests (YAML text) and throws with kubectl's message when they are refused.</summary>
    public async Task ApplyAsync(string manifests, string? @namespace = null, CancellationToken cancellation = default)
    {
        string[] arguments = @namespace is null ? ["apply", "-f", "-"] : ["apply", "-n", @namespace, "-f", "-"];
        (await RunAsync(arguments, manifests, cancellation: cancellation)).OrThrow("apply");
    }

    /// <summary>Starts a long-running kubectl (port-forward, logs -f); the caller ends it.</summary>
    public Process Start(IEnumerable<string> arguments, bool redirectInput = false)
    {
        var start = new ProcessStartInfo(Find() ?? throw new InvalidOperationException("kubectl is not on PATH"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add("--kubeconfig");
        start.ArgumentList.Add(kubeconfig);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("kubectl did not start");
    }
}
