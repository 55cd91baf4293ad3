using System.Buffers;
using Microsoft.AspNetCore.Connections;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Security.Authentication;
using Weft.Proxy.LoadBalancing;

namespace Weft.Proxy.Http1;

/// <summary>
/// The forward stage of the engine: one attempt of one request over a kept-alive upstream connection.
/// The request head is spliced (the side's <see cref="HeaderSplice"/>, hop-by-hop headers dropped) and
/// written in one piece; a body streams concurrently with the wait for the response (so a 100-continue
/// or an early answer gets through); interim responses pass on; the final head is held back when the
/// retry policy says it is retriable (the loop passes the policy only while another attempt remains), else relayed with its body as it arrives.
/// </summary>
internal sealed class Http1Forwarder(UpstreamPool pool)
{
    public async ValueTask<ForwardResult> ForwardAsync(Http1Exchange exchange, UpstreamKey key, EndpointState? endpoint, HeaderSplice splice,
        Resilience.CompiledRetryPolicy? holdBack, CancellationToken cancellation)
    {
        var request = exchange.Request;
        for (var fresh = false; ; fresh = true)
        {
            UpstreamConnection upstream;
            try
            {
                upstream = await pool.RentAsync(key, endpoint, cancellation);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or SocketException or AuthenticationException)
            {
                return new ForwardResult(ForwardOutcome.ConnectFailure, Detail: e.Message);
            }

            // A kept-alive connection the upstream closed just as it was reused fails before any response
            // byte: a bodiless request is sent again once, on a new connection (as HttpClient does).
            var mayResend = upstream.IsReused && (!request.HasBody || exchange.HasBufferedBody) && !fresh;
            var result = await AttemptAsync(exchange, upstream, splice, holdBack, cancellation);
            if (result.Outcome == ForwardOutcome.ResetBeforeResponse && mayResend && !cancellation.IsCancellationRequested)
            {
                continue;
            }

            return result;
        }
    }

    private async ValueTask<ForwardResult> AttemptAsync(Http1Exchange exchange, UpstreamConnection upstream, HeaderSplice splice, Resilience.CompiledRetryPolicy? holdBack, CancellationToken cancellation)
    {
        var request = exchange.Request;
        var response = exchange.Response;
        var client = exchange.Connection.Transport;
        Task<long>? body = null;
        var keepUpstream = false;
        try
        {
            WriteRequestHead(upstream.Output, exchange, splice);
            if (exchange.HasBufferedBody)
            {
                var buffered = exchange.BufferedBody;
                upstream.Output.Write(buffered.Span);
                exchange.RequestBytes = buffered.Length;
                await upstream.Output.FlushAsync(cancellation);
            }
            else if (request.HasBody)
            {
                body = CopyRequestBodyAsync(client.Input, upstream.Output, request, cancellation);
            }
            else
            {
                await upstream.Output.FlushAsync(cancellation);
            }

            await upstream.BeforeReadAsync(cancellation);
            while (true)
            {
                var head = await ReadResponseHeadAsync(upstream.Input, response, cancellation);
                if (head.Outcome != ForwardOutcome.Relayed)
                {
                    return await FailBeforeResponseAsync(exchange, body, head);
                }

                if (!response.IsInterim)
                {
                    break;
                }

                if (response.StatusCode == 101)
                {
                    return await FailBeforeResponseAsync(exchange, body, new ForwardResult(ForwardOutcome.ResetBeforeResponse, Detail: "the upstream switched protocols on a request that did not ask to"));
                }

                client.Output.Write(response.Bytes);
                await client.Output.FlushAsync(cancellation);
            }

            var isHead = ReferenceEquals(request.Method, "HEAD");
            if (holdBack is not null && holdBack.ShouldRetry(response.StatusCode))
            {
                // Only bodiless or buffered requests are retried on this path, so nothing of the client's is in flight.
                return new ForwardResult(ForwardOutcome.HeldBack, response.StatusCode);
            }

            var closeDelimited = response.IsCloseDelimited(isHead);
            if (closeDelimited)
            {
                exchange.KeepAlive = false;
            }

            WriteResponseHead(client.Output, response, exchange.KeepAlive);
            exchange.Status = response.StatusCode;
            try
            {
                exchange.ResponseBytes = !response.HasBody(isHead) ? 0
                    : response.IsChunked ? await BodyCopier.CopyChunkedAsync(upstream.Input, client.Output, cancellation)
                    : response.ContentLength >= 0 ? await BodyCopier.CopyContentLengthAsync(upstream.Input, client.Output, response.ContentLength, cancellation)
                    : await BodyCopier.CopyUntilCloseAsync(upstream.Input, client.Output, cancellation);
                if (!response.HasBody(isHead) || response.ContentLength == 0)
                {
                    await client.Output.FlushAsync(cancellation);
                }
            }
            catch (BodyCopyException e) when (e.SourceFailed)
            {
                exchange.KeepAlive = false;
                exchange.Connection.Abort();
                return new ForwardResult(ForwardOutcome.ResetAfterResponseStarted, response.StatusCode, e.Message);
            }
            catch (Exception e) when (e is BodyCopyException or IOException or OperationCanceledException or ConnectionAbortedException)
            {
                exchange.KeepAlive = false;
                return new ForwardResult(ForwardOutcome.ClientGone, response.StatusCode, e.Message);
            }

            if (body is not null && !await BodySentAsync(exchange, body))
            {
                return new ForwardResult(ForwardOutcome.Relayed, response.StatusCode);
            }

            keepUpstream = !response.ConnectionClose && !closeDelimited && NothingUnread(upstream.Input);
            return new ForwardResult(ForwardOutcome.Relayed, response.StatusCode);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or AuthenticationException or ObjectDisposedException)
        {
            return await FailBeforeResponseAsync(exchange, body, new ForwardResult(
                cancellation.IsCancellationRequested ? ForwardOutcome.ClientGone : ForwardOutcome.ResetBeforeResponse, Detail: e.Message));
        }
        finally
        {
            if (keepUpstream)
            {
                pool.Return(upstream);
            }
            else
            {
                await upstream.DisposeAsync();
            }
        }
    }

    /// <summary>True when nothing is left unread (a kept-alive upstream must not have sent more than the response).</summary>
    private static bool NothingUnread(PipeReader input)
    {
        if (!input.TryRead(out var leftover))
        {
            return true;
        }

        input.AdvanceTo(leftover.Buffer.Start);
        return leftover.Buffer.IsEmpty && !leftover.IsCompleted;
    }

    private static async ValueTask<ForwardResult> FailBeforeResponseAsync(Http1Exchange exchange, Task<long>? body, ForwardResult result)
    {
        if (body is not null)
        {
            // The client's body may be half read: its connection cannot carry another request.
            exchange.KeepAlive = false;
            await BodySentAsync(exchange, body);
        }

        return result;
    }

    /// <summary>Waits for the request body's copy; false (and the client connection closed after this request) if it failed.</summary>
    private static async ValueTask<bool> BodySentAsync(Http1Exchange exchange, Task<long> body)
    {
        try
        {
            exchange.RequestBytes = await body;
            return true;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            exchange.KeepAlive = false;
            return false;
        }
    }

    private static async Task<long> CopyRequestBodyAsync(PipeReader from, PipeWriter to, RequestHead request, CancellationToken cancellation)
    {
        var bytes = request.IsChunked
            ? await BodyCopier.CopyChunkedAsync(from, to, cancellation)
            : await BodyCopier.CopyContentLengthAsync(from, to, request.ContentLength, cancellation);
        await to.FlushAsync(cancellation);
        return bytes;
    }

    private static async ValueTask<ForwardResult> ReadResponseHeadAsync(PipeReader input, ResponseHead response, CancellationToken cancellation)
    {
        while (true)
        {
            var read = await input.ReadAsync(cancellation);
            var buffer = read.Buffer;
            var status = Http1Parser.TryParseResponse(buffer, response, out var consumed, out var error);
            if (status == ParseStatus.Complete)
            {
                input.AdvanceTo(buffer.GetPosition(consumed));
                return new ForwardResult(ForwardOutcome.Relayed);
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (status == ParseStatus.Invalid)
            {
                return new ForwardResult(ForwardOutcome.ResetBeforeResponse, Detail: error.Detail);
            }

            if (read.IsCompleted || read.IsCanceled)
            {
                return new ForwardResult(ForwardOutcome.ResetBeforeResponse, Detail: buffer.IsEmpty
                    ? "the upstream closed the connection before responding"
                    : "the upstream closed the connection inside its response head");
            }
        }
    }

    private static void WriteRequestHead(PipeWriter to, Http1Exchange exchange, HeaderSplice splice)
    {
        var request = exchange.Request;
        var bytes = request.Bytes;
        to.Write(bytes[..bytes.IndexOf((byte)' ')]);
        to.Write(" "u8);
        if (request.PathAndQueryLength == 0 || request.PathAndQuery[0] == (byte)'?')
        {
            to.Write("/"u8); // an absolute-form target without a path ("http://host?q") means the root
        }

        to.Write(request.PathAndQuery);
        to.Write(" HTTP/1.1\r\n"u8);
        WriteHeaders(to, request, 0, splice);
        if (request.IsChunked)
        {
            to.Write("transfer-encoding: chunked\r\n"u8);
        }

        splice.WriteAdded(to, exchange);
        to.Write("\r\n"u8);
    }

    private static void WriteResponseHead(PipeWriter to, ResponseHead response, bool keepAlive)
    {
        var bytes = response.Bytes;
        to.Write("HTTP/1.1 "u8);
        to.Write(bytes[9..(response.FirstHeaderLine)]);
        WriteHeaders(to, response, 0, splice: null);
        if (response.IsChunked)
        {
            to.Write("transfer-encoding: chunked\r\n"u8);
        }

        if (!keepAlive)
        {
            to.Write("connection: close\r\n"u8);
        }

        to.Write("\r\n"u8);
    }

    private static void WriteHeaders(PipeWriter to, Http1Head head, int from, HeaderSplice? splice)
    {
        var bytes = head.Bytes;
        for (var i = from; i < head.HeaderCount; i++)
        {
            var name = head.Name(i);
            if (HeaderSplice.IsHopByHop(name) || (splice is not null && splice.Drops(name)))
            {
                continue;
            }

            var field = head.Field(i);
            to.Write(bytes[field.NameStart..(field.ValueStart + field.ValueLength)]);
            to.Write("\r\n"u8);
        }
    }
}
