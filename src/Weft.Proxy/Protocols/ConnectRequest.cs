using System.Buffers;
using System.Text;

namespace Weft.Proxy.Protocols;

/// <summary>
/// An HTTP/1.1 CONNECT request head (RFC 9110 §9.3.6): how an application using its sidecar as an
/// HTTP proxy opens a raw tunnel — for WebSockets (ws://), TLS it originates itself, or any TCP.
/// </summary>
internal static class ConnectRequest
{
    public const int MaxHeadLength = 8 * 1024;
    private static ReadOnlySpan<byte> Method => "CONNECT "u8;
    private static ReadOnlySpan<byte> HeadEnd => "\r\n\r\n"u8;

    /// <summary>True when the connection's first bytes can only be a CONNECT request.</summary>
    public static bool StartsWith(ReadOnlySpan<byte> start) => start.Length >= Method.Length && start[..Method.Length].SequenceEqual(Method);

    /// <summary>True once the whole head has arrived (or it is too long to be one).</summary>
    public static bool IsComplete(ReadOnlySequence<byte> buffer) =>
        buffer.Length >= MaxHeadLength || new SequenceReader<byte>(buffer).TryReadTo(out ReadOnlySequence<byte> _, HeadEnd);

    /// <summary>Parses the head; returns its length in bytes and the authority (host:port) it asks for.</summary>
    public static bool TryParse(ReadOnlySequence<byte> buffer, out int headLength, out string authority)
    {
        headLength = 0;
        authority = "";
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> head, HeadEnd))
        {
            return false;
        }

        headLength = (int)reader.Consumed;
        var requestLine = Encoding.ASCII.GetString(head).Split("\r\n", 2)[0].Split(' ');
        if (requestLine.Length != 3 || requestLine[0] != "CONNECT" || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal) || !requestLine[1].Contains(':'))
        {
            return false;
        }

        authority = requestLine[1];
        return true;
    }

    public static ReadOnlyMemory<byte> Established { get; } = "HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray();

    public static byte[] Refusal(int status, string reason, string detail) =>
        Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {(status == 404 ? "Not Found" : status == 403 ? "Forbidden" : "Service Unavailable")}\r\nx-weft-reason: {reason}\r\ncontent-type: text/plain\r\ncontent-length: {detail.Length + 1}\r\nconnection: close\r\n\r\n{detail}\n");
}
