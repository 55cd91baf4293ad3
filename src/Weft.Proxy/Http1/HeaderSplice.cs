using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace Weft.Proxy.Http1;

/// <summary>
/// How one side edits the request head it forwards: headers it drops (besides the hop-by-hop ones,
/// which never cross a proxy) and headers it adds. One per client connection.
/// </summary>
internal abstract class HeaderSplice
{
    /// <summary>The header is the mesh's own and is replaced or removed here.</summary>
    public abstract bool Drops(ReadOnlySpan<byte> name);

    public abstract void WriteAdded(PipeWriter to, Http1Exchange exchange);

    protected static void WriteHeader(PipeWriter to, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        to.Write(name);
        to.Write(": "u8);
        to.Write(value);
        to.Write("\r\n"u8);
    }

    protected static void WriteHeader(PipeWriter to, ReadOnlySpan<byte> name, string value)
    {
        to.Write(name);
        to.Write(": "u8);
        var span = to.GetSpan(value.Length);
        var written = Encoding.Latin1.GetBytes(value, span);
        to.Advance(written);
        to.Write("\r\n"u8);
    }

    /// <summary>Connection-level headers (RFC 9110 §7.6.1): meaningful for one hop only.</summary>
    public static bool IsHopByHop(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 => Ascii.EqualsIgnoreCase(name, "te"u8),
        7 => Ascii.EqualsIgnoreCase(name, "upgrade"u8),
        10 => Ascii.EqualsIgnoreCase(name, "connection"u8) || Ascii.EqualsIgnoreCase(name, "keep-alive"u8),
        16 => Ascii.EqualsIgnoreCase(name, "proxy-connection"u8),
        17 => Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8),
        _ => false,
    };
}
