using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Weft.Kubernetes.Tests.Cluster;

/// <summary>A running `kubectl port-forward` from an ephemeral port on 127.0.0.1 to a pod's port.</summary>
public sealed partial class PortForward : IAsyncDisposable
{
    private readonly Process process;

    private PortForward(Process process, int localPort)
    {
        this.process = process;
        LocalPort = localPort;
    }

    public int LocalPort { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{LocalPort}/");

    public static async Task<PortForward> StartAsync(Kubectl kubectl, string @namespace, string pod, int port)
    {
        var process = kubectl.Start(["port-forward", "-n", @namespace, $"pod/{pod}", $"--address=127.0.0.1", $":{port}"]);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            // "Forwarding from 127.0.0.1:41234 -> 8080" once the local listener is up.
            while (await process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
            {
                if (ForwardingLine().Match(line) is { Success: true } match)
                {
                    return new PortForward(process, int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
                }
            }

            throw new InvalidOperationException($"kubectl port-forward {pod}:{port} exited: {await process.StandardError.ReadToEndAsync(deadline.Token)}");
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    [GeneratedRegex(@"^Forwarding from 127\.0\.0\.1:(\d+) ->")]
    private static partial Regex ForwardingLine();
}
