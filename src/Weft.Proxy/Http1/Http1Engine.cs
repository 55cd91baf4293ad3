using System.Net.Security;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Weft.Proxy.Http1;

/// <summary>
/// Weft's own HTTP/1.1 forwarding, as connection middleware: it reads request heads off the
/// connection's pipe (plaintext, or the inbound mTLS stream), parses each once, and lets its side
/// run the request's stages. A connection that speaks HTTP/2 goes straight to Kestrel; a request the
/// engine does not carry (an upgrade, a feature its route needs that the engine lacks) hands the
/// connection — that request and all later ones — to Kestrel, nothing of it consumed.
/// </summary>
internal sealed class Http1Engine(ConnectionDelegate next, IHttp1Side side)
{
    /// <summary>WEFT_HTTP1_ENGINE=off keeps every request on the Kestrel/YARP path (for comparisons).</summary>
    public static bool Enabled { get; } = !string.Equals(Environment.GetEnvironmentVariable("WEFT_HTTP1_ENGINE"), "off", StringComparison.OrdinalIgnoreCase);

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        if (IsHttp2(connection))
        {
            await next(connection);
            return;
        }

        using var exchange = new Http1Exchange(connection);
        var input = connection.Transport.Input;
        var watch = new StrongBox<Task<System.IO.Pipelines.ReadResult>?>();
        try
        {
            await ServeRequestsAsync(connection, exchange, input, watch);
        }
        finally
        {
            if (watch.Value is { IsCompleted: false } pending)
            {
                // The connection ends with the close watch still reading: stop it before the pipe is completed.
                input.CancelPendingRead();
                await pending.ContinueWith(static _ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task ServeRequestsAsync(ConnectionContext connection, Http1Exchange exchange, System.IO.Pipelines.PipeReader input,
        StrongBox<Task<System.IO.Pipelines.ReadResult>?> watching)
    {
        while (true)
        {
            System.IO.Pipelines.ReadResult read;
            try
            {
                // The close watch's read, when one ran, is this read: it stays pending across the response
                // and is taken over here (cancelling it instead would cost an exception on a TLS stream).
                read = watching.Value is { } watch ? await watch : await input.ReadAsync(connection.ConnectionClosed);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ConnectionResetException or InvalidOperationException)
            {
                return;
            }

            watching.Value = null;

            var buffer = read.Buffer;
            var status = Http1Parser.TryParseRequest(buffer, exchange.Request, out var consumed, out var error);
            if (status == ParseStatus.Incomplete)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    return;
                }

                continue; // more to come
            }

            if (status == ParseStatus.Invalid)
            {
                input.AdvanceTo(buffer.End);
                await Http1Answers.WriteRefusalAsync(connection.Transport.Output, error);
                return;
            }

            exchange.Begin();
            if (!side.Carries(exchange))
            {
                input.AdvanceTo(buffer.Start);
                await next(connection);
                return;
            }

            input.AdvanceTo(buffer.GetPosition(consumed));
            watching.Value = exchange.Request.HasBody ? null : WatchForCloseAsync(input, exchange);
            try
            {
                await side.HandleAsync(exchange);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ConnectionResetException or ObjectDisposedException)
            {
                return; // the client went away mid-request
            }

            if (!exchange.KeepAlive)
            {
                return;
            }
        }
    }

    /// <summary>
    /// While a bodiless request waits for its response, a read on the client's side tells when the
    /// client goes away (its timeout, a retry elsewhere): the request is then abandoned upstream too,
    /// as Kestrel's RequestAborted does. The read is the connection's next one: bytes that arrive
    /// instead (a pipelined request) are parsed from it once the response is done.
    /// </summary>
    private static async Task<System.IO.Pipelines.ReadResult> WatchForCloseAsync(System.IO.Pipelines.PipeReader input, Http1Exchange exchange)
    {
        try
        {
            var read = await input.ReadAsync();
            if (read.IsCompleted && read.Buffer.IsEmpty)
            {
                exchange.Abort();
            }

            return read;
        }
        catch
        {
            // Any failure to read the client (reset, abort) means it is gone.
            exchange.Abort();
            throw;
        }
    }

    private static bool IsHttp2(ConnectionContext connection) =>
        connection.Features.Get<ITlsApplicationProtocolFeature>() is { } alpn && alpn.ApplicationProtocol.Span.SequenceEqual(SslApplicationProtocol.Http2.Protocol.Span);
}
