using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Weft.Cli.Demo.V1;

namespace Weft.IntegrationTests;

/// <summary>HTTP/2, gRPC (unary, streaming, status codes) and WebSockets through two sidecars over mTLS.</summary>
public sealed class ProtocolTests(ProtocolTests.Fixture fixture) : IClassFixture<ProtocolTests.Fixture>
{
    private readonly MeshProcess _mesh = fixture.Mesh;

    public sealed class Fixture() : MeshFixture("protocols");

    /// <summary>A gRPC channel as checkout's app would open it: h2c to its sidecar, addressed to the service.</summary>
    private async Task<GrpcChannel> ChannelAsync()
    {
        var outbound = (await _mesh.WorkloadAsync("checkout")).OutboundPort!.Value;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellation) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(IPAddress.Loopback, outbound, cancellation);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        return GrpcChannel.ForAddress("http://echo.demo:9090", new GrpcChannelOptions { HttpHandler = handler });
    }

    [Fact]
    public async Task A_unary_grpc_call_crosses_the_mesh_with_the_callers_identity()
    {
        using var channel = await ChannelAsync();
        var reply = await new Echo.EchoClient(channel).SayAsync(new EchoRequest { Message = "hello" });

        Assert.Equal("hello", reply.Message);
        Assert.Equal("echo", reply.Service);
        Assert.Equal("URI=spiffe://cluster.local/ns/shop/sa/checkout", reply.Caller);
    }

    [Theory]
    [InlineData(true, "echo-canary")]
    [InlineData(false, "echo")]
    public async Task A_grpc_route_sends_a_method_with_a_header_to_its_backend(bool canary, string service)
    {
        using var channel = await ChannelAsync();
        var headers = new Metadata();
        if (canary)
        {
            headers.Add("x-canary", "true");
        }

        var reply = await new Echo.EchoClient(channel).SayAsync(new EchoRequest { Message = "hi" }, headers);

        Assert.Equal(service, reply.Service);
    }

    [Fact]
    public async Task A_server_streaming_grpc_call_delivers_every_message_in_order()
    {
        using var channel = await ChannelAsync();
        using var call = new Echo.EchoClient(channel).Count(new EchoRequest { Message = "n", Count = 25 });

        var sequence = new List<int>();
        await foreach (var reply in call.ResponseStream.ReadAllAsync())
        {
            sequence.Add(reply.Sequence);
        }

        Assert.Equal(Enumerable.Range(1, 25), sequence);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task A_grpc_error_status_and_its_trailers_reach_the_caller()
    {
        using var channel = await ChannelAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => new Echo.EchoClient(channel).SayAsync(new EchoRequest { FailWithStatus = (int)StatusCode.NotFound }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("failing as asked", error.Status.Detail);
    }

    [Fact]
    public async Task A_grpc_unavailable_status_is_retried_by_the_default_policy_and_counted_by_grpc_status()
    {
        using var channel = await ChannelAsync();
        var echo = new Echo.EchoClient(channel);

        var reply = await echo.SayAsync(new EchoRequest { Message = "again", FailWithStatus = (int)StatusCode.Unavailable, FailAttempts = 1 });
        var notRetried = await Assert.ThrowsAsync<RpcException>(() => echo.SayAsync(new EchoRequest { FailWithStatus = (int)StatusCode.PermissionDenied, FailAttempts = 1 }).ResponseAsync);

        Assert.Equal(2, reply.Attempt);
        Assert.Equal(StatusCode.PermissionDenied, notRetried.StatusCode);
        var admin = (await _mesh.WorkloadAsync("echo")).AdminPort;
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{admin}/metrics");
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("istio_requests_total{reporter=\"destination\",source_workload=\"checkout\"", StringComparison.Ordinal)
            && l.Contains("grpc_response_status=\"14\"", StringComparison.Ordinal) && l.Contains("response_code=\"200\"", StringComparison.Ordinal));
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("istio_requests_total{", StringComparison.Ordinal) && l.Contains("grpc_response_status=\"7\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_http2_request_from_the_app_reaches_an_http1_app_behind_the_mesh()
    {
        var outbound = (await _mesh.WorkloadAsync("checkout")).OutboundPort!.Value;
        using var client = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellation) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, outbound, cancellation);
                return new NetworkStream(socket, ownsSocket: true);
            },
        })
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using var response = await client.GetAsync("http://echo.demo/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Contains("\"service\":\"echo\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_websocket_upgrade_passes_both_sidecars_and_echoes()
    {
        var outbound = (await _mesh.WorkloadAsync("checkout")).OutboundPort!.Value;
        using var socket = new ClientWebSocket();
        socket.Options.Proxy = new WebProxy($"http://127.0.0.1:{outbound}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await socket.ConnectAsync(new Uri("ws://echo.demo/ws"), timeout.Token);

        var replies = new List<string>();
        foreach (var message in new[] { "one", "two" })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, timeout.Token);
            var buffer = new byte[1024];
            var received = await socket.ReceiveAsync(buffer, timeout.Token);
            replies.Add(Encoding.UTF8.GetString(buffer, 0, received.Count));
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        Assert.Equal(["echo/v1: one", "echo/v1: two"], replies);
    }

    [Fact]
    public async Task A_tcp_connection_tunnels_through_both_sidecars_over_mtls()
    {
        Assert.Equal(["echo/v1: ping", "echo/v1: pong"], await TunnelAsync(7000, "ping", "pong"));
    }

    [Fact]
    public async Task A_deny_policy_with_http_fields_refuses_tcp_connections_to_its_port()
    {
        Assert.Empty(await TunnelAsync(7001, "ping"));
    }

    [Fact]
    public async Task Tcp_metrics_count_connections_and_bytes_in_each_direction_at_both_sidecars()
    {
        var checkout = await _mesh.WorkloadAsync("checkout");
        var echo = await _mesh.WorkloadAsync("echo");
        const string fromCheckout = "reporter=\"source\",source_workload=\"checkout\"";
        // Both sidecars report the same labels: the tunnel tells echo's sidecar which workload calls.
        const string atEcho = "reporter=\"destination\",source_workload=\"checkout\",source_workload_namespace=\"shop\",source_principal=\"spiffe://cluster.local/ns/shop/sa/checkout\",source_app=\"checkout\",source_version=\"v1\"";
        const string toEcho = "destination_workload=\"echo\"";
        const string tunnel = "destination_service=\"echo.demo.svc.cluster.local\"";
        var before = await TcpCountersAsync(checkout.AdminPort!.Value, echo.AdminPort!.Value, fromCheckout, atEcho, toEcho);

        // 5 + 6 bytes go to the app; it answers "echo/v1: ping\n" (14) and "echo/v1: hello\n" (15).
        Assert.Equal(["echo/v1: ping", "echo/v1: hello"], await TunnelAsync(7000, "ping", "hello"));

        var expected = new TcpCounters(Opened: 1, Closed: 1, Received: 11, Sent: 29);
        TcpCounters[] delta = [];
        await Eventually.TrueAsync(async () =>
        {
            var after = await TcpCountersAsync(checkout.AdminPort!.Value, echo.AdminPort!.Value, fromCheckout, atEcho, toEcho);
            delta = [after[0] - before[0], after[1] - before[1]];
            return delta[0] == expected && delta[1] == expected;
        }, TimeSpan.FromSeconds(15), "both sidecars to count the closed tunnel");
        Assert.Equal(expected, delta[0]);
        Assert.Equal(expected, delta[1]);

        using var http = new HttpClient();
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{checkout.AdminPort}/metrics");
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("istio_tcp_sent_bytes_total{" + fromCheckout, StringComparison.Ordinal)
            && l.Contains(tunnel, StringComparison.Ordinal) && l.Contains("request_protocol=\"tcp\"", StringComparison.Ordinal)
            && l.Contains("connection_security_policy=\"mutual_tls\"", StringComparison.Ordinal) && l.Contains("destination_principal=\"spiffe://cluster.local/ns/demo/sa/echo\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_tcp_connection_denied_by_policy_is_counted_with_its_reason()
    {
        var echo = await _mesh.WorkloadAsync("echo");
        using var http = new HttpClient();
        const string denied = "istio_tcp_connections_closed_total{reporter=\"destination\"";
        double Count(string text) => text.Split('\n').Where(l => l.StartsWith(denied, StringComparison.Ordinal) && l.Contains("response_flags=\"authz-denied\"", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        var before = Count(await http.GetStringAsync($"http://127.0.0.1:{echo.AdminPort}/metrics"));

        Assert.Empty(await TunnelAsync(7001, "ping"));

        await Eventually.TrueAsync(async () => Count(await http.GetStringAsync($"http://127.0.0.1:{echo.AdminPort}/metrics")) == before + 1,
            TimeSpan.FromSeconds(15), "the denied connection to be counted");
    }

    [Fact]
    public async Task Request_and_response_bytes_are_counted_for_chunked_bodies_at_both_sidecars()
    {
        var checkout = await _mesh.WorkloadAsync("checkout");
        var echo = await _mesh.WorkloadAsync("echo");
        var before = await BodyBytesAsync(checkout.AdminPort!.Value, echo.AdminPort!.Value);
        var payload = new byte[100_000];
        Random.Shared.NextBytes(payload);
        using var client = await _mesh.ClientOfAsync("checkout");
        // No length up front: the request goes out chunked; the demo app's JSON answer is chunked too.
        using var content = new StreamContent(new MemoryStream(payload));
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://echo.demo/chunked") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.TransferEncodingChunked, "the response came chunked");
        Assert.Equal(payload.Length, System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("bodyBytes").GetInt64());
        (long Request, long Response) expected = (payload.Length, body.Length);
        var delta = (Source: (0L, 0L), Destination: (0L, 0L));
        await Eventually.TrueAsync(async () =>
        {
            var after = await BodyBytesAsync(checkout.AdminPort!.Value, echo.AdminPort!.Value);
            delta = ((after.Source.Request - before.Source.Request, after.Source.Response - before.Source.Response),
                (after.Destination.Request - before.Destination.Request, after.Destination.Response - before.Destination.Response));
            return delta.Source == expected && delta.Destination == expected;
        }, TimeSpan.FromSeconds(15), "both sidecars to record the request");
        Assert.Equal(expected, delta.Source);
        Assert.Equal(expected, delta.Destination);
    }

    private readonly record struct TcpCounters(double Opened, double Closed, double Received, double Sent)
    {
        public static TcpCounters operator -(TcpCounters a, TcpCounters b) => new(a.Opened - b.Opened, a.Closed - b.Closed, a.Received - b.Received, a.Sent - b.Sent);
    }

    /// <summary>The TCP counters checkout's sidecar reports for echo, and echo's sidecar for checkout.</summary>
    private static async Task<TcpCounters[]> TcpCountersAsync(int sourceAdmin, int destinationAdmin, string fromCheckout, string atEcho, string toEcho)
    {
        using var http = new HttpClient();
        var source = (await http.GetStringAsync($"http://127.0.0.1:{sourceAdmin}/metrics")).Split('\n');
        var destination = (await http.GetStringAsync($"http://127.0.0.1:{destinationAdmin}/metrics")).Split('\n');
        TcpCounters Read(string[] lines, string labels) => new(
            Sum(lines, "istio_tcp_connections_opened_total{" + labels, toEcho, "response_flags=\"-\""),
            Sum(lines, "istio_tcp_connections_closed_total{" + labels, toEcho, "response_flags=\"-\""),
            Sum(lines, "istio_tcp_received_bytes_total{" + labels, toEcho, "response_flags=\"-\""),
            Sum(lines, "istio_tcp_sent_bytes_total{" + labels, toEcho, "response_flags=\"-\""));
        return [Read(source, fromCheckout), Read(destination, atEcho)];
    }

    /// <summary>istio_request_bytes_sum / istio_response_bytes_sum for checkout → echo, as each side reports them.</summary>
    private static async Task<((long Request, long Response) Source, (long Request, long Response) Destination)> BodyBytesAsync(int sourceAdmin, int destinationAdmin)
    {
        using var http = new HttpClient();
        var source = (await http.GetStringAsync($"http://127.0.0.1:{sourceAdmin}/metrics")).Split('\n');
        var destination = (await http.GetStringAsync($"http://127.0.0.1:{destinationAdmin}/metrics")).Split('\n');
        const string echo = "destination_workload=\"echo\"";
        (long, long) Read(string[] lines, string reporter) => (
            (long)Sum(lines, "istio_request_bytes_sum{reporter=\"" + reporter + "\",source_workload=\"checkout\"", echo, "request_protocol=\"http\""),
            (long)Sum(lines, "istio_response_bytes_sum{reporter=\"" + reporter + "\",source_workload=\"checkout\"", echo, "request_protocol=\"http\""));
        return (Read(source, "source"), Read(destination, "destination"));
    }

    private static double Sum(string[] lines, string prefix, params string[] contains) =>
        lines.Where(l => l.StartsWith(prefix, StringComparison.Ordinal) && contains.All(c => l.Contains(c, StringComparison.Ordinal)))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Opens a CONNECT tunnel from checkout to echo's TCP port and returns the lines echoed back.</summary>
    private async Task<List<string>> TunnelAsync(int port, params string[] lines)
    {
        var outbound = (await _mesh.WorkloadAsync("checkout")).OutboundPort!.Value;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, outbound);
        var stream = tcp.GetStream();
        using var reader = new StreamReader(stream);
        await using var writer = new StreamWriter(stream) { AutoFlush = true, NewLine = "\r\n" };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));

        await writer.WriteAsync($"CONNECT echo.demo:{port} HTTP/1.1\r\nHost: echo.demo:{port}\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", await reader.ReadLineAsync(timeout.Token), StringComparison.Ordinal);
        Assert.Equal("", await reader.ReadLineAsync(timeout.Token));

        writer.NewLine = "\n";
        var echoed = new List<string>();
        foreach (var line in lines)
        {
            await writer.WriteLineAsync(line);
            if (await reader.ReadLineAsync(timeout.Token) is not { } reply)
            {
                break; // the tunnel was closed
            }

            echoed.Add(reply);
        }

        return echoed;
    }

    [Fact]
    public async Task Plaintext_tcp_to_a_strict_workload_never_reaches_the_app()
    {
        var echo = await _mesh.WorkloadAsync("echo");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, echo.InboundPorts[7000]);
        var stream = tcp.GetStream();
        await stream.WriteAsync("ping\n"u8.ToArray());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));

        var buffer = new byte[64];
        var read = await stream.ReadAsync(buffer, timeout.Token);

        Assert.Equal(0, read); // closed by the sidecar, no echo
    }
}
