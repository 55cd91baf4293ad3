using System.Buffers;

namespace Weft.Proxy.Protocols;

/// <summary>
/// Tells HTTP from any other protocol by a connection's first bytes, as Linkerd does for ports
/// whose protocol is not declared: an HTTP/1 method token followed by a space, or the HTTP/2 preface.
/// </summary>
internal static class HttpDetection
{
    /// <summary>Enough bytes to recognise the longest method ("OPTIONS ") or the preface start.</summary>
    public const int BytesNeeded = 8;

    private static readonly byte[][] Methods =
        ["GET "u8.ToArray(), "POST "u8.ToArray(), "PUT "u8.ToArray(), "HEAD "u8.ToArray(), "DELETE "u8.ToArray(),
         "OPTIONS "u8.ToArray(), "PATCH "u8.ToArray(), "TRACE "u8.ToArray(), "CONNECT "u8.ToArray(), "PRI * H"u8.ToArray()];

    public static bool CanDecide(ReadOnlySequence<byte> buffer) => buffer.Length >= BytesNeeded || (buffer.Length > 0 && !CouldBeHttp(buffer.FirstSpan));

    public static bool LooksLikeHttp(ReadOnlySpan<byte> start)
    {
        foreach (var method in Methods)
        {
            if (start.Length >= method.Length && start[..method.Length].SequenceEqual(method))
            {
                return true;
            }
        }

        return false;
    }

    private static bool CouldBeHttp(ReadOnlySpan<byte> start)
    {
        foreach (var method in Methods)
        {
            var n = Math.Min(start.Length, method.Length);
            if (start[..n].SequenceEqual(method.AsSpan(0, n)))
            {
                return true;
            }
        }

        return false;
    }
}
