using System.Buffers;
using Weft.Proxy.Telemetry;

namespace Weft.Proxy.Forwarding;

/// <summary>
/// Copies bytes both ways between two streams until both directions have finished; when one side
/// finishes sending, the other is told (half-close) so request/response protocols end cleanly.
/// With a <see cref="TcpSeries"/>, every chunk is counted as it passes: client → upstream as
/// received bytes, upstream → client as sent bytes (Istio's directions).
/// </summary>
internal static class TcpRelay
{
    private const int BufferSize = 16 * 1024;

    public static async Task RunAsync(Stream client, Stream upstream, CancellationToken cancellation, TcpSeries? metrics = null)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var toUpstream = CopyAsync(client, upstream, metrics, towardsServer: true, linked.Token);
        var toClient = CopyAsync(upstream, client, metrics, towardsServer: false, linked.Token);
        var first = await Task.WhenAny(toUpstream, toClient);
        if (first.IsFaulted)
        {
            await linked.CancelAsync(); // a reset on one side ends the other too
        }

        await Task.WhenAll(toUpstream.ContinueWith(_ => { }, TaskScheduler.Default), toClient.ContinueWith(_ => { }, TaskScheduler.Default));
    }

    private static async Task CopyAsync(Stream from, Stream to, TcpSeries? metrics, bool towardsServer, CancellationToken cancellation)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer.AsMemory(0, BufferSize), cancellation)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), cancellation);
                if (towardsServer)
                {
                    metrics?.AddReceived(read);
                }
                else
                {
                    metrics?.AddSent(read);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

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
