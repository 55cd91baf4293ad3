using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Weft.Protocol.V1;
using Weft.Proxy.Forwarding;
using Weft.Proxy.LoadBalancing;
using Weft.Proxy.Tests.Tls;
using Weft.Proxy.Tls;

namespace Weft.Proxy.Tests.Forwarding;

/// <summary>DestinationRule connectionPool connectTimeout / idleTimeout / maxRequestsPerConnection, over real sockets.</summary>
public sealed class UpstreamConnectionTests
{
    public static TheoryData<string, double, double, double> Settings => new()
    {
        // pool (connectTimeout ms, idleTimeout ms, maxRequestsPerConnection, maxConnectionDuration ms) → connect, idle, lifetime (ms; -1 infinite)
        { "none", 10_000, 3_600_000, -1 },
        { "0,0,0,0", 10_000, 3_600_000, -1 },
        { "250,0,0,0", 250, 3_600_000, -1 },
        { "0,1500,0,0", 10_000, 1_500, -1 },
        { "0,0,1,0", 10_000, 3_600_000, 0 },
        { "0,0,0,60000", 10_000, 3_600_000, 60_000 },
        { "0,0,1,60000", 10_000, 3_600_000, 0 },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void Istio_fields_map_to_connection_settings(string pool, double connectMs, double idleMs, double lifetimeMs)
    {
        ConnectionPool? config = null;
        if (pool != "none")
        {
            var values = pool.Split(',').Select(double.Parse).ToArray();
            config = new ConnectionPool
            {
                ConnectTimeout = values[0] > 0 ? Duration.FromTimeSpan(TimeSpan.FromMilliseconds(values[0])) : null,
                IdleTimeout = values[1] > 0 ? Duration.FromTimeSpan(TimeSpan.FromMilliseconds(values[1])) : null,
                MaxRequestsPerConnection = (uint)values[2],
                MaxConnectionDuration = values[3] > 0 ? Duration.FromTimeSpan(TimeSpan.FromMilliseconds(values[3])) : null,
            };
        }

        var settings = UpstreamConnectionSettings.From(config);
        Assert.Equal(TimeSpan.FromMilliseconds(connectMs), settings.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(idleMs), settings.IdleTimeout);
        Assert.Equal(lifetimeMs < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(lifetimeMs), settings.Lifetime);
    }

    [Fact]
    public async Task A_peer_that_never_finishes_the_handshake_fails_at_the_connect_timeout()
    {
        using var identities = new TestIdentities();
        var credentials = new CredentialStore();
        credentials.Update(identities.For("shop", "checkout"));
        using var clients = new UpstreamClients(credentials);
        using var silent = new TcpListener(IPAddress.Loopback, 0); // accepts (the kernel does) and never answers the TLS hello
        silent.Start();
        var endpoint = Endpoint(silent, "spiffe://cluster.local/ns/payments/sa/payments");
        var settings = UpstreamConnectionSettings.Default with { ConnectTimeout = TimeSpan.FromMilliseconds(300) };

        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => Send(clients.MeshFor(settings), endpoint));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        // The shape OutboundHandler classifies as a connect failure (503 upstream-connect-failure), not a route timeout.
        Assert.IsAssignableFrom<OperationCanceledException>(error);
        Assert.IsType<TimeoutException>(error.InnerException);

        var tunnel = await Assert.ThrowsAsync<HttpRequestException>(async () =>
            await clients.ConnectTunnelAsync(new IPEndPoint(IPAddress.Loopback, endpoint.Port), endpoint, TimeSpan.FromMilliseconds(300), CancellationToken.None));
        Assert.Equal(HttpRequestError.ConnectionError, tunnel.HttpRequestError);
        Assert.Contains("connect timeout", tunnel.Message);
    }

    [Fact]
    public async Task One_request_per_connection_opens_a_connection_for_each_request()
    {
        using var clients = new UpstreamClients(new CredentialStore());
        await using var server = await CountingServer.StartAsync();
        var endpoint = Endpoint(server.Listener, spiffeId: "");

        var single = UpstreamConnectionSettings.From(new ConnectionPool { MaxRequestsPerConnection = 1 });
        for (var i = 0; i < 3; i++)
        {
            using var response = await Send(clients.MeshFor(single), endpoint);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(3, server.Connections);

        for (var i = 0; i < 3; i++)
        {
            using var response = await Send(clients.Mesh, endpoint);
        }

        Assert.Equal(4, server.Connections); // the default pool keeps its one connection alive
    }

    [Fact]
    public async Task An_idle_connection_is_closed_after_the_idle_timeout()
    {
        using var clients = new UpstreamClients(new CredentialStore());
        await using var server = await CountingServer.StartAsync();
        var endpoint = Endpoint(server.Listener, spiffeId: "");

        var settings = UpstreamConnectionSettings.From(new ConnectionPool { IdleTimeout = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(500)) });
        using (await Send(clients.MeshFor(settings), endpoint))
        {
        }

        var closed = await server.FirstClose.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(closed < TimeSpan.FromSeconds(5), $"closed after {closed}");
    }

    private static EndpointState Endpoint(TcpListener listener, string spiffeId) =>
        new(new Protocol.V1.Endpoint { Address = listener.LocalEndpoint.ToString(), Workload = "payments-v1", Namespace = "payments", SpiffeId = spiffeId },
            "payments.payments.svc.cluster.local", TimeProvider.System);

    private static Task<HttpResponseMessage> Send(HttpMessageInvoker invoker, EndpointState endpoint)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, endpoint.DestinationPrefix) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Options.Set(UpstreamClients.EndpointKey, endpoint);
        return invoker.SendAsync(request, CancellationToken.None);
    }

    /// <summary>An HTTP/1.1 server that answers every request with an empty 200 and counts connections.</summary>
    private sealed class CountingServer : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly TaskCompletionSource<TimeSpan> _firstClose = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _connections;
        private Task _accepting = Task.CompletedTask;

        public TcpListener Listener { get; } = new(IPAddress.Loopback, 0);

        public int Connections => Volatile.Read(ref _connections);

        /// <summary>How long the first connection stayed open after its last response.</summary>
        public Task<TimeSpan> FirstClose => _firstClose.Task;

        public static Task<CountingServer> StartAsync()
        {
            var server = new CountingServer();
            server.Listener.Start();
            server._accepting = server.AcceptAsync();
            return Task.FromResult(server);
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await Listener.AcceptSocketAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                Interlocked.Increment(ref _connections);
                _ = ServeAsync(socket);
            }
        }

        private async Task ServeAsync(Socket socket)
        {
            using var _ = socket;
            var buffer = new byte[4096];
            var received = new StringBuilder();
            var lastResponse = Stopwatch.StartNew();
            try
            {
                while (true)
                {
                    var read = await socket.ReceiveAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        _firstClose.TrySetResult(lastResponse.Elapsed);
                        return;
                    }

                    received.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    while (received.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal) is var end and >= 0)
                    {
                        received.Remove(0, end + 4);
                        await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), _stop.Token);
                        lastResponse.Restart();
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            Listener.Stop();
            await _accepting;
            _stop.Dispose();
        }
    }
}
