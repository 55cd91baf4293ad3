using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Weft.Config.Model;

namespace Weft.Cli.Local.Probes;

/// <summary>One try of a probe: whether it passed, and what was seen (for the reason shown when it fails).</summary>
internal readonly record struct ProbeResult(bool Success, string Detail);

/// <summary>Runs one try of a probe's handler against its target, as the kubelet does: httpGet, tcpSocket or exec.</summary>
internal static class ProbeCheck
{
    // The kubelet neither uses a proxy nor checks certificates, and treats a redirect as success (3xx).
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.Zero,
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    })
    { Timeout = Timeout.InfiniteTimeSpan };

    public static async Task<ProbeResult> RunAsync(Probe probe, ProbeTarget target, CancellationToken cancellation)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(probe.TimeoutSeconds));
        try
        {
            if (probe.HttpGet is { } http)
            {
                return await HttpGetAsync(http, target, timeout.Token);
            }

            if (probe.TcpSocket is { } tcp)
            {
                using var client = new TcpClient();
                var port = target.Resolve(tcp.Port);
                await client.ConnectAsync(tcp.Host ?? target.Host, port, timeout.Token);
                return new ProbeResult(true, $"connected to port {port.ToString(CultureInfo.InvariantCulture)}");
            }

            return await ExecAsync(probe.Exec!, target, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return new ProbeResult(false, $"timed out after {probe.TimeoutSeconds.ToString(CultureInfo.InvariantCulture)}s");
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or System.ComponentModel.Win32Exception or IOException)
        {
            return new ProbeResult(false, e.Message);
        }
    }

    private static async Task<ProbeResult> HttpGetAsync(HttpGetAction http, ProbeTarget target, CancellationToken cancellation)
    {
        var port = target.Resolve(http.Port);
        var host = http.Host ?? target.Host;
        var uri = new Uri($"{http.Scheme.ToLowerInvariant()}://{(host.Contains(':') ? $"[{host}]" : host)}:{port.ToString(CultureInfo.InvariantCulture)}{http.Path}");
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.UserAgent.ParseAdd("weft-probe/1");
        foreach (var header in http.HttpHeaders)
        {
            request.Headers.TryAddWithoutValidation(header.Name, header.Value);
        }

        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation);
        var status = (int)response.StatusCode;
        return new ProbeResult(status is >= 200 and < 400, $"GET {http.Path} answered {status.ToString(CultureInfo.InvariantCulture)}");
    }

    private static async Task<ProbeResult> ExecAsync(ExecAction exec, ProbeTarget target, CancellationToken cancellation)
    {
        var command = target.ExecPrefix.Concat(exec.Command).ToList();
        var info = new ProcessStartInfo(command[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in target.Environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info) ?? throw new IOException($"could not start {command[0]}");
        var output = process.StandardOutput.ReadToEndAsync(cancellation);
        var errors = process.StandardError.ReadToEndAsync(cancellation);
        try
        {
            await process.WaitForExitAsync(cancellation);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var text = ((await output) + (await errors)).Trim();
        var detail = $"{string.Join(' ', exec.Command)} exited with {process.ExitCode.ToString(CultureInfo.InvariantCulture)}" + (text.Length == 0 ? "" : $": {Truncate(text)}");
        return new ProbeResult(process.ExitCode == 0, detail);
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
