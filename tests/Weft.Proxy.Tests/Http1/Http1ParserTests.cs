using System.Buffers;
using System.Text;
using Weft.Proxy.Http1;

namespace Weft.Proxy.Tests.Http1;

/// <summary>The engine's request and response head parser: what it accepts, and what it refuses with which status.</summary>
public sealed class Http1ParserTests
{
    public static TheoryData<string, int, string> Refused => new()
    {
        // request (\n is written literally where a bare LF is meant) → status, what the detail names
        { "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "smuggling" },
        { "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400, "smuggling" },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400, "Content-Length" },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\n", 400, "Content-Length" },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\n", 400, "Content-Length" },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9999999999999999999\r\n\r\n", 400, "Content-Length" },
        { "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "Transfer-Encoding" },
        { "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "Transfer-Encoding" },
        { "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 501, "Transfer-Encoding" },
        { "POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "HTTP/1.0" },
        { "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n  folded\r\n\r\n", 400, "obs-fold" },
        { "GET / HTTP/1.1\nHost: a\r\n\r\n", 400, "bare LF" },
        { "GET / HTTP/1.1\r\nHost: a\n\r\n", 400, "bare LF" },
        { "GET / HTTP/1.1\r\nHost: a\r\n\n", 400, "bare LF" },
        { "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400, "bare CR" },
        { "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "token" },
        { "GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", 400, "token" },
        { "GET / HTTP/1.1\r\n: a\r\n\r\n", 400, "token" },
        { "GET / HTTP/1.1\r\nHost: a\r\nX: a\u0001b\r\n\r\n", 400, "control" },
        { "GET / HTTP/1.1\r\nHost: a\r\nX: a\u0000b\r\n\r\n", 400, "control" },
        { "GET / HTTP/1.1\r\nHost: a\r\nX: a\u007fb\r\n\r\n", 400, "control" },
        { "GET / HTTP/1.1\r\n\r\n", 400, "Host" },
        { "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "Host" },
        { "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "target" },
        { "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400, "HTTP version" },
        { "GET /\u00e9 HTTP/1.1\r\nHost: a\r\n\r\n", 400, "visible ASCII" },
        { "GET a HTTP/1.1\r\nHost: a\r\n\r\n", 400, "origin-form" },
        { "GET http://user@a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, "user info" },
        { "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "HTTP/1.0" },
        { "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400, "HTTP version" },
        { "G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "method" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Refuses_what_could_smuggle_or_confuse(string request, int status, string detail)
    {
        var result = ParseRequest(Latin1(request), out _, out var error, out _);

        Assert.Equal(ParseStatus.Invalid, result);
        Assert.Equal(status, error.Status);
        Assert.Contains(detail, error.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Parses_origin_form_with_its_framing()
    {
        var bytes = Latin1("POST /pay?x=1 HTTP/1.1\r\nHost: payments:80\r\nContent-Length: 12\r\nX-Multi: a\r\nx-multi:  b \r\n\r\nbody...");
        var result = ParseRequest(bytes, out var head, out _, out var consumed);

        Assert.Equal(ParseStatus.Complete, result);
        Assert.Equal(bytes.Length - "body...".Length, consumed);
        Assert.Equal("POST", head.Method);
        Assert.Equal("/pay?x=1", Encoding.ASCII.GetString(head.PathAndQuery));
        Assert.Equal("/pay", Encoding.ASCII.GetString(head.Path));
        Assert.Equal("payments:80", Encoding.ASCII.GetString(head.Authority));
        Assert.Equal(12, head.ContentLength);
        Assert.False(head.IsChunked);
        Assert.Equal(4, head.HeaderCount);
        Assert.Equal("b", Encoding.ASCII.GetString(head.Value(3))); // optional whitespace trimmed both sides
        Assert.True(head.HasBody);
        Assert.False(head.ConnectionClose);
    }

    [Fact]
    public void Takes_an_absolute_form_target_apart()
    {
        var result = ParseRequest(Latin1("GET http://payments.default:8080/a/b?c HTTP/1.1\r\nHost: payments.default:8080\r\n\r\n"), out var head, out _, out _);

        Assert.Equal(ParseStatus.Complete, result);
        Assert.Equal("payments.default:8080", Encoding.ASCII.GetString(head.Authority));
        Assert.Equal("/a/b?c", Encoding.ASCII.GetString(head.PathAndQuery));
        Assert.Equal("/a/b", Encoding.ASCII.GetString(head.Path));
    }

    [Fact]
    public void An_absolute_form_target_without_a_path_means_the_root()
    {
        var result = ParseRequest(Latin1("GET http://payments HTTP/1.1\r\nHost: payments\r\n\r\n"), out var head, out _, out _);

        Assert.Equal(ParseStatus.Complete, result);
        Assert.Equal(0, head.PathAndQueryLength);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", true, false)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n", false, true)]
    [InlineData("GET / HTTP/1.0\r\n\r\n", true, false)]
    [InlineData("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", false, false)]
    public void Reads_connection_options(string request, bool close, bool namesOthers)
    {
        Assert.Equal(ParseStatus.Complete, ParseRequest(Latin1(request), out var head, out _, out _));
        Assert.Equal(close, head.ConnectionClose);
        Assert.Equal(namesOthers, head.ConnectionNamesOthers);
    }

    [Fact]
    public void Skips_empty_lines_before_the_request_line()
    {
        Assert.Equal(ParseStatus.Complete, ParseRequest(Latin1("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), out var head, out _, out var consumed));
        Assert.Equal("GET", head.Method);
        Assert.Equal(31, consumed);
    }

    [Fact]
    public void Expect_100_continue_is_recognised()
    {
        Assert.Equal(ParseStatus.Complete, ParseRequest(Latin1("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n"), out var head, out _, out _));
        Assert.True(head.ExpectsContinue);
        Assert.False(head.HasOtherExpectation);
    }

    [Fact]
    public void A_head_in_pieces_is_incomplete_until_its_empty_line_arrives()
    {
        var full = Latin1("GET /x HTTP/1.1\r\nHost: a\r\nX-Long: " + new string('v', 3000) + "\r\n\r\n");
        for (var cut = 1; cut < full.Length; cut += 97)
        {
            Assert.Equal(ParseStatus.Incomplete, ParseRequest(full[..cut], out _, out _, out _));
        }

        // Split over many segments, as a pipe delivers it.
        Assert.Equal(ParseStatus.Complete, ParseRequest(Segmented(full, 7), out var head, out _, out var consumed));
        Assert.Equal(full.Length, consumed);
        Assert.Equal(3000, head.Value(1).Length);
    }

    [Fact]
    public void Limits_the_request_line_with_414_and_the_head_with_431()
    {
        var longLine = Latin1("GET /" + new string('a', Http1Limits.MaxRequestLine) + " HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(ParseStatus.Invalid, ParseRequest(longLine, out _, out var error, out _));
        Assert.Equal(414, error.Status);

        // Still arriving, already over the limit: refused without waiting for the rest.
        Assert.Equal(ParseStatus.Invalid, ParseRequest(longLine[..(Http1Limits.MaxRequestLine + 10)], out _, out error, out _));
        Assert.Equal(414, error.Status);

        var bigHead = Latin1("GET / HTTP/1.1\r\nHost: a\r\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"X-{i}: {new string('v', 1000)}\r\n")) + "\r\n");
        Assert.Equal(ParseStatus.Invalid, ParseRequest(bigHead, out _, out error, out _));
        Assert.Equal(431, error.Status);
        Assert.Equal(ParseStatus.Invalid, ParseRequest(bigHead[..(Http1Limits.MaxHead + 10)], out _, out error, out _));
        Assert.Equal(431, error.Status);

        var manyHeaders = Latin1("GET / HTTP/1.1\r\nHost: a\r\n" + string.Concat(Enumerable.Range(0, Http1Limits.MaxHeaders)
            .Select(i => $"X-{i}: v\r\n")) + "\r\n");
        Assert.Equal(ParseStatus.Invalid, ParseRequest(manyHeaders, out _, out error, out _));
        Assert.Equal(431, error.Status);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 200, 5L, false, false)]
    [InlineData("HTTP/1.1 204 No Content\r\n\r\n", 204, -1L, false, false)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 200, -1L, true, false)]
    [InlineData("HTTP/1.1 200\r\nConnection: close\r\n\r\n", 200, -1L, false, true)]
    [InlineData("HTTP/1.0 200 OK\r\n\r\n", 200, -1L, false, true)]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\n", 100, -1L, false, false)]
    public void Parses_response_heads(string response, int status, long length, bool chunked, bool close)
    {
        var head = new ResponseHead();
        Assert.Equal(ParseStatus.Complete, Http1Parser.TryParseResponse(new ReadOnlySequence<byte>(Latin1(response)), head, out _, out _));
        Assert.Equal(status, head.StatusCode);
        Assert.Equal(length, head.ContentLength);
        Assert.Equal(chunked, head.IsChunked);
        Assert.Equal(close, head.ConnectionClose);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")]
    [InlineData("HTTP/1.1 2000 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 099 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\nX: y\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n")]
    [InlineData("ICY 200 OK\r\n\r\n")]
    public void Refuses_malformed_responses_as_a_bad_gateway(string response)
    {
        var head = new ResponseHead();
        Assert.Equal(ParseStatus.Invalid, Http1Parser.TryParseResponse(new ReadOnlySequence<byte>(Latin1(response)), head, out _, out var error));
        Assert.Equal(502, error.Status);
    }

    [Theory]
    [InlineData("HEAD", 200, false)]
    [InlineData("GET", 204, false)]
    [InlineData("GET", 304, false)]
    [InlineData("GET", 103, false)]
    [InlineData("GET", 200, true)]
    public void HEAD_1xx_204_and_304_have_no_body_whatever_the_headers_say(string method, int status, bool hasBody)
    {
        var head = new ResponseHead();
        Http1Parser.TryParseResponse(new ReadOnlySequence<byte>(Latin1($"HTTP/1.1 {status} X\r\nContent-Length: 10\r\n\r\n")), head, out _, out _);
        Assert.Equal(hasBody, head.HasBody(method == "HEAD"));
    }

    internal static ParseStatus ParseRequest(byte[] bytes, out RequestHead head, out ParseError error, out long consumed) =>
        ParseRequest(new ReadOnlySequence<byte>(bytes), out head, out error, out consumed);

    internal static ParseStatus ParseRequest(ReadOnlySequence<byte> bytes, out RequestHead head, out ParseError error, out long consumed)
    {
        head = new RequestHead();
        return Http1Parser.TryParseRequest(bytes, head, out consumed, out error);
    }

    internal static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);

    internal static ReadOnlySequence<byte> Segmented(byte[] bytes, int size)
    {
        Segment? first = null, last = null;
        for (var i = 0; i < bytes.Length; i += size)
        {
            var segment = new Segment(bytes.AsMemory(i, Math.Min(size, bytes.Length - i)), last);
            first ??= segment;
            last = segment;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }
}
