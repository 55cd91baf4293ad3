namespace Weft.Proxy.Forwarding;

/// <summary>
/// Copies bytes both ways between two streams until both directions have finished; when one side
/// finishes sending, the other is told (half-close) so request/response protocols end cleanly.
/// </summary>
internal static class TcpRelay
{
    public static async Task RunAsync(Stream client, Stream upstream, CancellationToken cancellation)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var toUpstream = CopyAsync(client, upstream, linked.Token);
        var toClient = CopyAsync(upstream, client, linked.Token);
        var first = await Task.WhenAny(toUpstream, toClient);
        if (first.IsFaulted)
        {
            await linked.CancelAsync(); // a reset on one side ends the other too
        }

        await Task.WhenAll(toUpstream.ContinueWith(_ => { }, TaskScheduler.Default), toClient.ContinueWith(_ => { }, TaskScheduler.Default));
    }

    private static async Task CopyAsync(Stream from, Stream to, CancellationToken cancellation)
    {
        await from.CopyToAsync(to, 16 * 1024, cancellation);
        await to.FlushAsync(cancellation);
        switch (to)
        {
            case System.Net.Security.SslStream ssl:
                await ssl.ShutdownAsync();
                break;
            case System.Net.Sockets.NetworkStream network:
                network.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
                break;
            case Inbound.DuplexPipeStream pipe:
                await pipe.CompleteWritingAsync();
                break;
        }
    }
}
