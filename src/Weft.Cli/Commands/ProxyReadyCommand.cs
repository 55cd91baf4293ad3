using System.Globalization;

namespace Weft.Cli.Commands;

/// <summary>
/// `weft proxy-ready`: waits until the pod's sidecar has its config and certificate (its admin
/// port's /ready answers 200). The injector runs it as the proxy container's postStart hook on
/// servers without native sidecars: the kubelet starts the app containers only after it returns.
/// </summary>
internal static class ProxyReadyCommand
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellation)
    {
        var arguments = new CliArguments(args);
        var timeout = arguments.Duration("--timeout", TimeSpan.FromSeconds(120));
        var admin = arguments["--admin"] ?? $"127.0.0.1:{ControlPlane.Interception.PodCapture.AdminPort.ToString(CultureInfo.InvariantCulture)}";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        try
        {
            while (true)
            {
                try
                {
                    using var response = await http.GetAsync($"http://{admin}/ready", deadline.Token);
                    if (response.IsSuccessStatusCode)
                    {
                        return 0;
                    }
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException) when (!deadline.IsCancellationRequested)
                {
                }

                await Task.Delay(200, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Console.Error.WriteLine($"weft proxy-ready: the sidecar at {admin} was not ready within {timeout.TotalSeconds:0} s");
            return 1;
        }
    }
}
