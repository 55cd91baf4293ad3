using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;
using System.Text;
using Weft.Proxy.Forwarding;

namespace Weft.Proxy.Http1;

/// <summary>Responses the engine makes itself, as <see cref="ProxyResponses"/> does on the Kestrel path: always with x-weft-reason.</summary>
internal static class Http1Answers
{
    public static ValueTask<FlushResult> WriteAsync(Http1Exchange exchange, int status, string reason, string detail, string? reasonHeader = null,
        string? extraHeader = null)
    {
        exchange.Status = status;
        var body = Encoding.UTF8.GetBytes($"weft: {reason}: {detail}\n");
        exchange.ResponseBytes = body.Length;
        var to = exchange.Connection.Transport.Output;
        WriteHead(to, status, reasonHeader ?? reason, body.Length, exchange.KeepAlive, extraHeader);
        to.Write(body);
        return to.FlushAsync();
    }

    /// <summary>An answer to a head that could not be parsed: the connection closes after it.</summary>
    public static ValueTask<FlushResult> WriteRefusalAsync(PipeWriter to, in ParseError error)
    {
        var reason = ReasonOf(error.Status);
        var body = Encoding.UTF8.GetBytes($"weft: {reason}: {error.Detail}\n");
        WriteHead(to, error.Status, reason, body.Length, keepAlive: false, extraHeader: null);
        to.Write(body);
        return to.FlushAsync();
    }

    public static string ReasonOf(int status) => status switch
    {
        414 => WeftReasons.RequestLineTooLong,
        431 => WeftReasons.HeadersTooLarge,
        501 => WeftReasons.UnsupportedTransferCoding,
        505 => WeftReasons.UnsupportedVersion,
        _ => WeftReasons.BadRequest,
    };

    private static void WriteHead(PipeWriter to, int status, string reason, int contentLength, bool keepAlive, string? extraHeader)
    {
        to.Write("HTTP/1.1 "u8);
        WriteNumber(to, status);
        to.Write(" "u8);
        to.Write(Encoding.ASCII.GetBytes(Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status)));
        to.Write("\r\ncontent-type: text/plain; charset=utf-8\r\nx-weft-reason: "u8);
        to.Write(Encoding.UTF8.GetBytes(reason));
        to.Write("\r\ncontent-length: "u8);
        WriteNumber(to, contentLength);
        to.Write("\r\n"u8);
        if (extraHeader is not null)
        {
            to.Write(Encoding.UTF8.GetBytes(extraHeader));
            to.Write("\r\n"u8);
        }

        if (!keepAlive)
        {
            to.Write("connection: close\r\n"u8);
        }

        to.Write("\r\n"u8);
    }

    private static void WriteNumber(PipeWriter to, long value)
    {
        var span = to.GetSpan(20);
        Utf8Formatter.TryFormat(value, span, out var written);
        to.Advance(written);
    }
}
