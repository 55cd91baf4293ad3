using System.Buffers;

namespace Weft.Proxy.Http1;

/// <summary>The pure part of chunked framing (RFC 9112 §7.1): size lines and the trailer section.</summary>
internal static class ChunkFraming
{
    private static readonly SearchValues<byte> ExtensionChars = SearchValues.Create(
        [(byte)'\t', .. Enumerable.Range(0x20, 0x7F - 0x20).Select(b => (byte)b)]);

    /// <summary>A CRLF-terminated line within <paramref name="limit"/> bytes; a bare LF or an overlong line sets <paramref name="error"/>.</summary>
    public static bool TryReadLine(in ReadOnlySequence<byte> buffer, int limit, out ReadOnlySequence<byte> line, out SequencePosition next, out string? error)
    {
        error = null;
        line = default;
        next = buffer.Start;
        var lf = buffer.PositionOf((byte)'\n');
        if (lf is null)
        {
            if (buffer.Length > limit)
            {
                error = $"a chunk-size line is longer than {limit} bytes";
            }

            return false;
        }

        var withCr = buffer.Slice(0, lf.Value);
        if (withCr.Length > limit)
        {
            error = $"a chunk-size line is longer than {limit} bytes";
            return false;
        }

        if (withCr.IsEmpty || withCr.Slice(withCr.Length - 1).FirstSpan[0] != (byte)'\r')
        {
            error = "a chunk-size line ends in a bare LF";
            return false;
        }

        line = withCr.Slice(0, withCr.Length - 1);
        next = buffer.GetPosition(1, lf.Value);
        return true;
    }

    /// <summary>Reads chunk-size [ chunk-ext ]: hex digits that fit a long, then only extensions.</summary>
    public static bool TryParseSize(in ReadOnlySequence<byte> line, out long size, out string error)
    {
        Span<byte> copy = stackalloc byte[(int)Math.Min(line.Length, Http1Limits.MaxChunkLine)];
        line.Slice(0, copy.Length).CopyTo(copy);
        return TryParseSize(copy, out size, out error);
    }

    public static bool TryParseSize(ReadOnlySpan<byte> line, out long size, out string error)
    {
        size = 0;
        error = "";
        var i = 0;
        for (; i < line.Length; i++)
        {
            var digit = HexValue(line[i]);
            if (digit < 0)
            {
                break;
            }

            if (size > (long.MaxValue >> 4))
            {
                error = "a chunk size overflows";
                return false;
            }

            size = (size << 4) | (uint)digit;
        }

        if (i == 0)
        {
            error = "a chunk-size line does not start with a hex size";
            return false;
        }

        var extensions = line[i..];
        var trimmed = extensions.TrimStart(" \t"u8);
        if (!trimmed.IsEmpty && (trimmed[0] != (byte)';' || extensions.IndexOfAnyExcept(ExtensionChars) >= 0))
        {
            error = "a chunk size is followed by something other than an extension";
            return false;
        }

        return true;
    }

    /// <summary>
    /// Finds the end of the trailer section (its empty line, included in <paramref name="end"/>), checking
    /// each trailer is a well-formed field line.
    /// </summary>
    public static ParseStatus TryFindTrailersEnd(in ReadOnlySequence<byte> buffer, out long end, out string? error)
    {
        end = 0;
        error = null;
        var rest = buffer;
        long offset = 0;
        while (true)
        {
            if (!TryReadLine(rest, Http1Limits.MaxTrailers, out var line, out var next, out error))
            {
                if (error is null && buffer.Length > Http1Limits.MaxTrailers)
                {
                    error = $"the trailers are larger than {Http1Limits.MaxTrailers} bytes";
                }

                return error is null ? ParseStatus.Incomplete : ParseStatus.Invalid;
            }

            offset += line.Length + 2;
            if (offset > Http1Limits.MaxTrailers)
            {
                error = $"the trailers are larger than {Http1Limits.MaxTrailers} bytes";
                return ParseStatus.Invalid;
            }

            if (line.IsEmpty)
            {
                end = offset;
                return ParseStatus.Complete;
            }

            if (!IsFieldLine(line))
            {
                error = "a trailer is not a well-formed field line";
                return ParseStatus.Invalid;
            }

            rest = rest.Slice(next);
        }
    }

    private static bool IsFieldLine(in ReadOnlySequence<byte> line)
    {
        Span<byte> copy = stackalloc byte[(int)line.Length];
        line.CopyTo(copy);
        var colon = copy.IndexOf((byte)':');
        return colon > 0 && Http1Parser.IsToken(copy[..colon]) && Http1Parser.IsFieldValue(copy[(colon + 1)..]);
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
