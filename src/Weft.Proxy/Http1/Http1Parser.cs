using System.Buffers;
using System.Text;

namespace Weft.Proxy.Http1;

/// <summary>
/// A strict HTTP/1.1 head parser (RFC 9112) for a proxy, where leniency is what request smuggling is
/// made of: every line ends in CRLF (a bare LF is refused), no obs-fold, header names are tokens
/// with nothing between them and the colon, values hold no control characters, Content-Length is
/// digits only and never differs from a second one, Transfer-Encoding is exactly "chunked" and never
/// comes with Content-Length. What it cannot decide without more bytes is <see cref="ParseStatus.Incomplete"/>
/// only while the bytes so far are within <see cref="Http1Limits"/>.
/// </summary>
internal static class Http1Parser
{
    private static readonly SearchValues<byte> TokenChars = SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    /// <summary>Bytes allowed in a request target: visible ASCII.</summary>
    private static readonly SearchValues<byte> TargetChars = SearchValues.Create(Enumerable.Range(0x21, 0x7E - 0x21 + 1).Select(b => (byte)b).ToArray());

    /// <summary>Field value bytes: HTAB, SP, VCHAR, obs-text.</summary>
    private static readonly SearchValues<byte> ValueChars = SearchValues.Create(
        [(byte)'\t', .. Enumerable.Range(0x20, 0x7F - 0x20).Select(b => (byte)b), .. Enumerable.Range(0x80, 0x80).Select(b => (byte)b)]);

    public static bool IsToken(ReadOnlySpan<byte> name) => !name.IsEmpty && name.IndexOfAnyExcept(TokenChars) < 0;

    public static bool IsFieldValue(ReadOnlySpan<byte> value) => value.IndexOfAnyExcept(ValueChars) < 0;

    public static ParseStatus TryParseRequest(in ReadOnlySequence<byte> input, RequestHead head, out long consumed, out ParseError error)
    {
        var status = FindHead(input, isRequest: true, out var skipped, out consumed, out error);
        if (status != ParseStatus.Complete)
        {
            return status;
        }

        var bytes = head.Reset((int)(consumed - skipped));
        input.Slice(skipped, bytes.Length).CopyTo(bytes);
        return ParseRequestHead(bytes, head, out error) ? ParseStatus.Complete : ParseStatus.Invalid;
    }

    public static ParseStatus TryParseResponse(in ReadOnlySequence<byte> input, ResponseHead head, out long consumed, out ParseError error)
    {
        var status = FindHead(input, isRequest: false, out _, out consumed, out error);
        if (status != ParseStatus.Complete)
        {
            if (status == ParseStatus.Invalid)
            {
                error = new ParseError(502, "the upstream's response head: " + error.Detail);
            }

            return status;
        }

        var bytes = head.Reset((int)consumed);
        input.Slice(0, bytes.Length).CopyTo(bytes);
        return ParseResponseHead(bytes, head, out error) ? ParseStatus.Complete : ParseStatus.Invalid;
    }

    /// <summary>
    /// Finds the end of the head (the empty line) checking line endings and limits on the way.
    /// <paramref name="skipped"/>: empty lines before a request line, which RFC 9112 §2.2 lets a server ignore.
    /// </summary>
    private static ParseStatus FindHead(in ReadOnlySequence<byte> input, bool isRequest, out long skipped, out long end, out ParseError error)
    {
        skipped = 0;
        end = 0;
        error = default;
        var reader = new SequenceReader<byte>(input);
        long lineStart = 0;
        var firstLine = true;
        while (reader.TryAdvanceTo((byte)'\n', advancePastDelimiter: true))
        {
            var lf = reader.Consumed - 1;
            if (lf == lineStart || ByteAt(input, lf - 1) != (byte)'\r')
            {
                error = ParseError.BadRequest("a line ends in a bare LF");
                return ParseStatus.Invalid;
            }

            var lineLength = lf - 1 - lineStart;
            if (lineLength == 0 && firstLine && isRequest && skipped < 8)
            {
                lineStart = reader.Consumed;
                skipped = lineStart;
                continue;
            }

            if (firstLine && isRequest && lineLength > Http1Limits.MaxRequestLine)
            {
                error = new ParseError(414, $"the request line is longer than {Http1Limits.MaxRequestLine} bytes");
                return ParseStatus.Invalid;
            }

            if (reader.Consumed - skipped > Http1Limits.MaxHead)
            {
                error = new ParseError(431, $"the request head is larger than {Http1Limits.MaxHead} bytes");
                return ParseStatus.Invalid;
            }

            if (lineLength == 0)
            {
                if (firstLine)
                {
                    error = ParseError.BadRequest("the head has no start line");
                    return ParseStatus.Invalid;
                }

                end = reader.Consumed;
                return ParseStatus.Complete;
            }

            firstLine = false;
            lineStart = reader.Consumed;
        }

        var pending = input.Length - lineStart;
        if (firstLine && isRequest && pending > Http1Limits.MaxRequestLine + 1)
        {
            error = new ParseError(414, $"the request line is longer than {Http1Limits.MaxRequestLine} bytes");
            return ParseStatus.Invalid;
        }

        if (input.Length - skipped > Http1Limits.MaxHead)
        {
            error = new ParseError(431, $"the request head is larger than {Http1Limits.MaxHead} bytes");
            return ParseStatus.Invalid;
        }

        return ParseStatus.Incomplete;
    }

    private static byte ByteAt(in ReadOnlySequence<byte> input, long index) =>
        input.FirstSpan.Length > index ? input.FirstSpan[(int)index] : input.Slice(index, 1).FirstSpan[0];

    private static bool ParseRequestHead(ReadOnlySpan<byte> bytes, RequestHead head, out ParseError error)
    {
        var lineEnd = bytes.IndexOf((byte)'\r');
        if (bytes[lineEnd + 1] != (byte)'\n')
        {
            error = ParseError.BadRequest("a bare CR in the request line");
            return false;
        }

        var line = bytes[..lineEnd];
        var sp1 = line.IndexOf((byte)' ');
        if (sp1 <= 0 || line[..sp1].IndexOfAnyExcept(TokenChars) >= 0)
        {
            error = ParseError.BadRequest("the request line's method is not a token");
            return false;
        }

        var rest = line[(sp1 + 1)..];
        var sp2 = rest.IndexOf((byte)' ');
        if (sp2 <= 0 || rest[..sp2].IndexOfAnyExcept(TargetChars) >= 0)
        {
            error = ParseError.BadRequest("the request target is empty or holds a byte outside visible ASCII");
            return false;
        }

        var version = rest[(sp2 + 1)..];
        if (!TryVersion(version, out var minor))
        {
            error = version.Length == 8 && version.StartsWith("HTTP/"u8) ? new ParseError(505, "only HTTP/1.0 and HTTP/1.1 are spoken here") : ParseError.BadRequest("the request line has no HTTP version");
            return false;
        }

        head.MinorVersion = minor;
        head.Method = MethodOf(line[..sp1]);
        if (!ParseTarget(head, sp1 + 1, rest[..sp2], out error))
        {
            return false;
        }

        if (!ParseHeaderLines(bytes, lineEnd + 2, head, isRequest: true, out error))
        {
            return false;
        }

        if (head.MinorVersion == 1 && head.HostIndex < 0)
        {
            error = ParseError.BadRequest("an HTTP/1.1 request without Host");
            return false;
        }

        return true;
    }

    private static bool ParseTarget(RequestHead head, int start, ReadOnlySpan<byte> target, out ParseError error)
    {
        error = default;
        if (target[0] == (byte)'/')
        {
            head.PathStart = start;
            head.PathAndQueryLength = target.Length;
        }
        else if (target.Length > 7 && Ascii.EqualsIgnoreCase(target[..7], "http://"u8))
        {
            var authority = target[7..];
            var authorityEnd = authority.IndexOfAny((byte)'/', (byte)'?');
            if (authorityEnd < 0)
            {
                authorityEnd = authority.Length;
            }

            if (authorityEnd == 0 || authority[..authorityEnd].Contains((byte)'@'))
            {
                error = ParseError.BadRequest("the absolute-form target has no authority (or user info)");
                return false;
            }

            head.TargetAuthorityStart = start + 7;
            head.TargetAuthorityLength = authorityEnd;
            head.PathStart = start + 7 + authorityEnd;
            head.PathAndQueryLength = authority.Length - authorityEnd;
        }
        else if (target.SequenceEqual("*"u8) && head.Method == "OPTIONS")
        {
            head.PathStart = start;
            head.PathAndQueryLength = 1;
        }
        else
        {
            error = ParseError.BadRequest("the request target is neither origin-form nor an http absolute-form");
            return false;
        }

        var query = head.PathAndQuery.IndexOf((byte)'?');
        head.PathLength = query < 0 ? head.PathAndQueryLength : query;
        return true;
    }

    private static bool ParseResponseHead(ReadOnlySpan<byte> bytes, ResponseHead head, out ParseError error)
    {
        var lineEnd = bytes.IndexOf((byte)'\r');
        var line = bytes[..lineEnd];
        error = new ParseError(502, "the upstream's status line is malformed");
        if (bytes[lineEnd + 1] != (byte)'\n' || line.Length < 12 || !TryVersion(line[..8], out var minor) || line[8] != (byte)' '
            || !IsDigit(line[9]) || !IsDigit(line[10]) || !IsDigit(line[11]) || (line.Length > 12 && line[12] != (byte)' ')
            || line[9] == (byte)'0')
        {
            return false;
        }

        head.MinorVersion = minor;
        head.StatusCode = ((line[9] - '0') * 100) + ((line[10] - '0') * 10) + (line[11] - '0');
        head.FirstHeaderLine = lineEnd + 2;
        return ParseHeaderLines(bytes, lineEnd + 2, head, isRequest: false, out error);
    }

    private static bool ParseHeaderLines(ReadOnlySpan<byte> bytes, int position, Http1Head head, bool isRequest, out ParseError error)
    {
        var request = head as RequestHead;
        var transferEncodings = 0;
        var keepAlive = false;
        while (true)
        {
            var lineEnd = position + bytes[position..].IndexOf((byte)'\r');
            if (bytes[lineEnd + 1] != (byte)'\n')
            {
                error = Bad(isRequest, "a bare CR in a header line");
                return false;
            }

            if (lineEnd == position)
            {
                break;
            }

            var line = bytes[position..lineEnd];
            if (line[0] is (byte)' ' or (byte)'\t')
            {
                error = Bad(isRequest, "a header line is folded (obs-fold)");
                return false;
            }

            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || line[..colon].IndexOfAnyExcept(TokenChars) >= 0)
            {
                error = Bad(isRequest, "a header name is empty or not a token");
                return false;
            }

            var valueStart = colon + 1;
            while (valueStart < line.Length && line[valueStart] is (byte)' ' or (byte)'\t')
            {
                valueStart++;
            }

            var valueEnd = line.Length;
            while (valueEnd > valueStart && line[valueEnd - 1] is (byte)' ' or (byte)'\t')
            {
                valueEnd--;
            }

            var value = line[valueStart..valueEnd];
            if (value.IndexOfAnyExcept(ValueChars) >= 0)
            {
                error = Bad(isRequest, "a header value holds a control character");
                return false;
            }

            if (head.HeaderCount == Http1Limits.MaxHeaders)
            {
                error = isRequest ? new ParseError(431, $"the request has more than {Http1Limits.MaxHeaders} headers") : new ParseError(502, "the upstream's response has too many headers");
                return false;
            }

            var name = line[..colon];
            var field = new HeaderField(position, colon, position + valueStart, value.Length);
            switch (name.Length)
            {
                case 4 when request is not null && Ascii.EqualsIgnoreCase(name, "host"u8):
                    if (request.HostIndex >= 0)
                    {
                        error = ParseError.BadRequest("the request has more than one Host");
                        return false;
                    }

                    request.HostIndex = head.HeaderCount;
                    break;
                case 6 when request is not null && Ascii.EqualsIgnoreCase(name, "expect"u8):
                    if (Ascii.EqualsIgnoreCase(value, "100-continue"u8))
                    {
                        request.ExpectsContinue = true;
                    }
                    else
                    {
                        request.HasOtherExpectation = true;
                    }

                    break;
                case 7 when request is not null && Ascii.EqualsIgnoreCase(name, "upgrade"u8):
                    request.HasUpgrade = true;
                    break;
                case 10 when Ascii.EqualsIgnoreCase(name, "connection"u8):
                    ReadConnection(value, head, ref keepAlive);
                    break;
                case 14 when Ascii.EqualsIgnoreCase(name, "content-length"u8):
                    if (!TryContentLength(value, out var length) || (head.ContentLength >= 0 && head.ContentLength != length))
                    {
                        error = Bad(isRequest, "Content-Length is not a number, or two of them differ");
                        return false;
                    }

                    head.ContentLength = length;
                    break;
                case 17 when Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8):
                    transferEncodings++;
                    if (transferEncodings > 1 || !Ascii.EqualsIgnoreCase(value, "chunked"u8))
                    {
                        error = isRequest
                            ? new ParseError(transferEncodings > 1 ? 400 : 501, "Transfer-Encoding other than one 'chunked' is not accepted")
                            : new ParseError(502, "the upstream's Transfer-Encoding is not a single 'chunked'");
                        return false;
                    }

                    head.IsChunked = true;
                    break;
            }

            head.AddField(field);
            position = lineEnd + 2;
        }

        if (head.IsChunked && head.ContentLength >= 0)
        {
            error = Bad(isRequest, "both Content-Length and Transfer-Encoding (request smuggling)");
            return false;
        }

        if (head.IsChunked && head.MinorVersion == 0)
        {
            error = Bad(isRequest, "Transfer-Encoding in an HTTP/1.0 message");
            return false;
        }

        if (head.MinorVersion == 0 && !keepAlive)
        {
            head.ConnectionClose = true;
        }

        error = default;
        return true;
    }

    private static ParseError Bad(bool isRequest, string detail) => isRequest ? ParseError.BadRequest(detail) : new ParseError(502, "the upstream's response: " + detail);

    private static void ReadConnection(ReadOnlySpan<byte> value, Http1Head head, ref bool keepAlive)
    {
        foreach (var range in value.Split((byte)','))
        {
            var token = value[range].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(token, "close"u8))
            {
                head.ConnectionClose = true;
            }
            else if (Ascii.EqualsIgnoreCase(token, "keep-alive"u8))
            {
                keepAlive = true;
            }
            else if (!token.IsEmpty)
            {
                head.ConnectionNamesOthers = true;
            }
        }
    }

    private static bool TryContentLength(ReadOnlySpan<byte> value, out long length)
    {
        length = 0;
        if (value.IsEmpty || value.Length > 18)
        {
            return false;
        }

        foreach (var b in value)
        {
            if (!IsDigit(b))
            {
                return false;
            }

            length = (length * 10) + (b - '0');
        }

        return true;
    }

    private static bool TryVersion(ReadOnlySpan<byte> version, out int minor)
    {
        minor = 1;
        if (version.SequenceEqual("HTTP/1.1"u8))
        {
            return true;
        }

        minor = 0;
        return version.SequenceEqual("HTTP/1.0"u8);
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private static string MethodOf(ReadOnlySpan<byte> method) => method switch
    {
        _ when method.SequenceEqual("GET"u8) => "GET",
        _ when method.SequenceEqual("POST"u8) => "POST",
        _ when method.SequenceEqual("PUT"u8) => "PUT",
        _ when method.SequenceEqual("DELETE"u8) => "DELETE",
        _ when method.SequenceEqual("HEAD"u8) => "HEAD",
        _ when method.SequenceEqual("PATCH"u8) => "PATCH",
        _ when method.SequenceEqual("OPTIONS"u8) => "OPTIONS",
        _ when method.SequenceEqual("CONNECT"u8) => "CONNECT",
        _ when method.SequenceEqual("TRACE"u8) => "TRACE",
        _ => Encoding.ASCII.GetString(method),
    };
}
