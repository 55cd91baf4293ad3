using System.Net;
using System.Net.Sockets;

namespace Weft.Cli.Demo;

/// <summary>The demo app's non-HTTP face: echoes each line back, prefixed with who answered.</summary>
internal static class TcpEcho
{
    public static async Task RunAsync(IPAddress address, int port, string name, CancellationToken cancellation)
    {
        using var listener = new TcpListener(address, port);
        listener.Start();
        while (!cancellation.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(cancellation);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _ = ServeAsync(client, name, cancellation);
        }
    }

    private static async Task ServeAsync(TcpClient client, string name, CancellationToken cancellation)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                using var reader = new StreamReader(stream);
                await using var writer = new StreamWriter(stream) { AutoFlush = true, NewLine = "\n" };
                while (await reader.ReadLineAsync(cancellation) is { } line)
                {
                    await writer.WriteLineAsync($"{name}: {line}");
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
            }
        }
    }
}
