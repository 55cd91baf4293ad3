using System.Buffers;
using System.Text;

namespace Weft.Proxy.Http1;

/// <summary>
/// One parsed message head (request or response) as a view over its own bytes: the head is copied
/// once into a pooled buffer, and every field is an offset into it. Reused for every message of a
/// connection, so parsing allocates nothing.
/// </summary>
internal abstract class Http1Head : IDisposable
{
    private byte[] _bytes = ArrayPool<byte>.Shared.Rent(4096);
    private HeaderField[] _fields = new HeaderField[16];

    /// <summary>The head's bytes, the final empty line included.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes.AsSpan(0, Length);

    public int Length { get; private set; }

    public int HeaderCount { get; private set; }

    /// <summary>1 for HTTP/1.1, 0 for HTTP/1.0.</summary>
    public int MinorVersion { get; internal set; }

    /// <summary>-1 when the head has no Content-Length.</summary>
    public long ContentLength { get; internal set; } = -1;

    /// <summary>Transfer-Encoding: chunked (the only transfer coding the engine accepts).</summary>
    public bool IsChunked { get; internal set; }

    /// <summary>Connection: close was sent (or HTTP/1.0 without keep-alive).</summary>
    public bool ConnectionClose { get; internal set; }

    /// <summary>The Connection header names something besides close and keep-alive (an upgrade or a hop-by-hop header).</summary>
    public bool ConnectionNamesOthers { get; internal set; }

    public ReadOnlySpan<byte> Name(int index) => _bytes.AsSpan(_fields[index].NameStart, _fields[index].NameLength);

    public ReadOnlySpan<byte> Value(int index) => _bytes.AsSpan(_fields[index].ValueStart, _fields[index].ValueLength);

    public HeaderField Field(int index) => _fields[index];

    /// <summary>The index of the first header called <paramref name="name"/> (lower case ASCII), or -1.</summary>
    public int IndexOf(ReadOnlySpan<byte> name, int from = 0)
    {
        for (var i = from; i < HeaderCount; i++)
        {
            if (Ascii.EqualsIgnoreCase(Name(i), name))
            {
                return i;
            }
        }

        return -1;
    }

    internal Span<byte> Reset(int length)
    {
        if (_bytes.Length < length)
        {
            ArrayPool<byte>.Shared.Return(_bytes);
            _bytes = ArrayPool<byte>.Shared.Rent(length);
        }

        Length = length;
        HeaderCount = 0;
        MinorVersion = 1;
        ContentLength = -1;
        IsChunked = false;
        ConnectionClose = false;
        ConnectionNamesOthers = false;
        ResetFields();
        return _bytes.AsSpan(0, length);
    }

    protected abstract void ResetFields();

    internal void AddField(in HeaderField field)
    {
        if (HeaderCount == _fields.Length)
        {
            Array.Resize(ref _fields, _fields.Length * 2);
        }

        _fields[HeaderCount++] = field;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_bytes);
        _bytes = [];
    }
}
