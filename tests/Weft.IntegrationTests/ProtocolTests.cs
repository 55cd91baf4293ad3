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
