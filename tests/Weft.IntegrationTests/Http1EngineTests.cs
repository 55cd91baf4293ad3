using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Weft.IntegrationTests;

/// <summary>
/// Weft's HTTP/1.1 engine at the edge of a real mesh (checkout → echo, STRICT mTLS between them),
/// spoken to over raw sockets so the test controls every byte: request smuggling and malformed heads
/// are refused by the client sidecar with a reason, pipelined requests are answered in order, bodies
/// (Content-Length and chunked, with trailers) cross both sidecars, Expect: 100-continue gets its
/// interim response, and a client closing mid-body harms nothing.
/// </summary>
public sealed class Http1EngineTests(Http1EngineTests.Fixture fixture) : IClassFixture<Http1EngineTests.Fixture>
{
    private readonly MeshProcess _mesh = fixture.Mesh;

    public sealed class Fixture() : MeshFixture("protocols");

    public static TheoryData<string, int, string> Refused => new()
    {
        { "POST http://echo.demo/ HTTP/1.1\r\nHost: echo.demo\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "bad-request" },
        { "POST http://echo.demo/ HTTP/1.1\r\nHost: echo.demo\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcd", 400, "bad-request" },
        { "GET http://echo.demo/ HTTP/1.1\r\nHost: echo.demo\r\nX-A: b\r\n folded\r\n\r\n", 400, "bad-request" },
        { "GET http://echo.demo/ HTTP/1.1\nHost: echo.demo\n\n", 400, "bad-request" },
        { "GET http://echo.demo/ HTTP/1.1\r\nHost: echo.demo\r\nBad Name: x\r\n\r\n", 400, "bad-request" },
        { "POST http://echo.demo/ HTTP/1.1\r\nHost: echo.demo\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "unsupported-transfer-coding" },
        { "GET http://echo.demo/" + new string('a', 9000) + " HTTP/1.1\r\nHost: echo.demo\r\n\r\n", 414, "request-line-too-long" },
        { "GET http://echo.demo/ HTTP/1.1\r\nHost: echo.demo\r\nX-Big: " + new string('v', 40_000) + "\r\n\r\n", 431, "headers-too-large" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task The_client_sidecar_refuses_malformed_and_ambiguous_requests_with_a_reason(string request, int status, string reason)
    {
        using var connection = await ConnectAsync();
        await connection.SendAsync(request);

        var response = await connection.ReadResponseAsync();
        Assert.Equal(status, response.Status);
        Assert.Equal(reason, response.Header("x-weft-reason"));
        Assert.True(await connection.IsClosedAsync(), "the connection is closed after a refused head");
    }

    [Fact]
    public async Task Pipelined_requests_are_answered_in_order_on_one_connection()
    {
        using var connection = await ConnectAsync();
        await connection.SendAsync(
            "GET http://echo.demo/first HTTP/1.1\r\nHost: echo.demo\r\n\r\n" +
            "GET http://echo.demo/second HTTP/1.1\r\nHost: echo.demo\r\n\r\n" +
            "HEAD http://echo.demo/third HTTP/1.1\r\nHost: echo.demo\r\n\r\n" +
            "GET http://echo.demo/fourth HTTP/1.1\r\nHost: echo.demo\r\nConnection: close\r\n\r\n");

        Assert.Equal("/first", (await connection.ReadResponseAsync()).Json().GetProperty("path").GetString());
        Assert.Equal("/second", (await connection.ReadResponseAsync()).Json().GetProperty("path").GetString());
        var head = await connection.ReadResponseAsync(isHead: true);
        Assert.Equal(200, head.Status);
        Assert.Empty(head.Body);
        Assert.Equal("/fourth", (await connection.ReadResponseAsync()).Json().GetProperty("path").GetString());
        Assert.True(await connection.IsClosedAsync());
    }

    [Fact]
    public async Task Content_length_and_chunked_bodies_cross_both_sidecars_and_the_mesh_headers_do_not_reach_the_app()
    {
        using var connection = await ConnectAsync();
        await connection.SendAsync("POST http://echo.demo/cl HTTP/1.1\r\nHost: echo.demo\r\nContent-Length: 11\r\nx-weft-peer: forged\r\n\r\nhello world");
        var fixedLength = (await connection.ReadResponseAsync()).Json();
        Assert.Equal(11, fixedLength.GetProperty("bodyBytes").GetInt64());
        Assert.Equal("URI=spiffe://cluster.local/ns/shop/sa/checkout", fixedLength.GetProperty("caller").GetString());
        Assert.False(fixedLength.GetProperty("headers").TryGetProperty("x-weft-peer", out _));

        await connection.SendAsync("POST http://echo.demo/chunked HTTP/1.1\r\nHost: echo.demo\r\nTransfer-Encoding: chunked\r\n\r\n" +
            "5;ext=1\r\nhello\r\n1000\r\n" + new string('x', 4096) + "\r\n0\r\nX-Trailer: t\r\n\r\n");
        var chunked = (await connection.ReadResponseAsync()).Json();
        Assert.Equal(4101, chunked.GetProperty("bodyBytes").GetInt64());
        Assert.Equal("/chunked", chunked.GetProperty("path").GetString());
    }

    [Fact]
    public async Task Expect_100_continue_gets_the_interim_response_before_the_body_is_sent()
    {
        using var connection = await ConnectAsync();
        await connection.SendAsync("PUT http://echo.demo/upload HTTP/1.1\r\nHost: echo.demo\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");

        var interim = await connection.ReadResponseAsync();
        Assert.Equal(100, interim.Status);
        await connection.SendAsync("data");
        var final = await connection.ReadResponseAsync();
        Assert.Equal(200, final.Status);
        Assert.Equal(4, final.Json().GetProperty("bodyBytes").GetInt64());
    }

    [Fact]
    public async Task A_client_closing_mid_body_leaves_the_sidecars_serving()
    {
        using (var connection = await ConnectAsync())
        {
            await connection.SendAsync("POST http://echo.demo/cut HTTP/1.1\r\nHost: echo.demo\r\nContent-Length: 100000\r\n\r\n" + new string('x', 1000));
        }

        using var next = await ConnectAsync();
        await next.SendAsync("GET http://echo.demo/after HTTP/1.1\r\nHost: echo.demo\r\n\r\n");
        Assert.Equal(200, (await next.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task An_unknown_service_is_answered_no_route_on_a_connection_that_stays_open()
    {
        using var connection = await ConnectAsync();
        await connection.SendAsync("GET http://nowhere.demo/ HTTP/1.1\r\nHost: nowhere.demo\r\n\r\n");
        var response = await connection.ReadResponseAsync();
        Assert.Equal(404, response.Status);
        Assert.Equal("no-route", response.Header("x-weft-reason"));

        await connection.SendAsync("GET http://echo.demo/again HTTP/1.1\r\nHost: echo.demo\r\n\r\n");
        Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
    }

    private async Task<RawConnection> ConnectAsync()
    {
        var port = (await _mesh.WorkloadAsync("checkout")).OutboundPort!.Value;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return new RawConnection(socket);
    }

    private sealed record RawResponse(int Status, Dictionary<string, string> Headers, byte[] Body)
    {
        public string? Header(string name) => Headers.GetValueOrDefault(name);

        public JsonElement Json() => JsonDocument.Parse(Body).RootElement;
    }

    /// <summary>A client socket that reads HTTP/1.1 responses itself (Content-Length and chunked bodies), with deadlines.</summary>
    private sealed class RawConnection(Socket socket) : IDisposable
    {
        private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
        private readonly List<byte> _buffer = [];
        private bool _closed;

        public Task SendAsync(string text) => socket.SendAsync(Encoding.Latin1.GetBytes(text).AsMemory()).AsTask();

        public async Task<RawResponse> ReadResponseAsync(bool isHead = false)
        {
            using var deadline = new CancellationTokenSource(Deadline);
            var headEnd = await FillUntilAsync(() => IndexOf("\r\n\r\n"u8), deadline.Token);
            var head = Encoding.Latin1.GetString(_buffer.GetRange(0, headEnd).ToArray()).Split("\r\n");
            _buffer.RemoveRange(0, headEnd + 4);
            var status = int.Parse(head[0].Split(' ')[1]);
            var headers = head.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
            if (isHead || status is < 200 or 204 or 304)
            {
                return new RawResponse(status, headers, []);
            }

            if (headers.TryGetValue("content-length", out var length))
            {
                var n = int.Parse(length);
                await FillUntilAsync(() => _buffer.Count >= n ? n : -1, deadline.Token);
                return new RawResponse(status, headers, Take(n));
            }

            var body = new List<byte>();
            while (true)
            {
                var lineEnd = await FillUntilAsync(() => IndexOf("\r\n"u8), deadline.Token);
                var size = Convert.ToInt32(Encoding.ASCII.GetString(Take(lineEnd)).Split(';')[0], 16);
                Take(2);
                if (size == 0)
                {
                    await FillUntilAsync(() => IndexOf("\r\n"u8) == 0 ? 0 : -1, deadline.Token);
                    Take(2);
                    return new RawResponse(status, headers, body.ToArray());
                }

                await FillUntilAsync(() => _buffer.Count >= size + 2 ? size : -1, deadline.Token);
                body.AddRange(Take(size));
                Take(2);
            }
        }

        /// <summary>Whether the peer closes the connection (within the deadline) with nothing more to say.</summary>
        public async Task<bool> IsClosedAsync()
        {
            using var deadline = new CancellationTokenSource(Deadline);
            try
            {
                await FillUntilAsync(() => -1, deadline.Token);
            }
            catch (IOException)
            {
            }

            return _closed && _buffer.Count == 0;
        }

        private byte[] Take(int count)
        {
            var bytes = _buffer.GetRange(0, count).ToArray();
            _buffer.RemoveRange(0, count);
            return bytes;
        }

        private int IndexOf(ReadOnlySpan<byte> needle) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_buffer).IndexOf(needle);

        private async Task<int> FillUntilAsync(Func<int> found, CancellationToken cancellation)
        {
            var chunk = new byte[16 * 1024];
            while (true)
            {
                var at = found();
                if (at >= 0)
                {
                    return at;
                }

                if (_closed)
                {
                    throw new IOException("the proxy closed the connection");
                }

                int read;
                try
                {
                    read = await socket.ReceiveAsync(chunk, cancellation);
                }
                catch (SocketException)
                {
                    read = 0;
                }

                if (read == 0)
                {
                    _closed = true;
                }

                _buffer.AddRange(chunk.AsSpan(0, read));
            }
        }

        public void Dispose() => socket.Dispose();
    }
}
