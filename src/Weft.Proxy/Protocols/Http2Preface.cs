namespace Weft.Proxy.Protocols;

/// <summary>The client connection preface that starts every HTTP/2 connection (RFC 9113 §3.4).</summary>
internal static class Http2Preface
{
    public static ReadOnlySpan<byte> Bytes => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    public static int Length => Bytes.Length;

    /// <summary>True once <paramref name="start"/> is long enough to decide, or already differs.</summary>
    public static bool CanDecide(ReadOnlySpan<byte> start)
    {
        var n = Math.Min(start.Length, Length);
        return n == Length || !start[..n].SequenceEqual(Bytes[..n]);
    }

    public static bool Matches(ReadOnlySpan<byte> start) => start.Length >= Length && start[..Length].SequenceEqual(Bytes);
}
