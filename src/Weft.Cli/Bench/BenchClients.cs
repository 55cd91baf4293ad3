using System.Net;
using System.Net.Sockets;

namespace Weft.Cli.Bench;

/// <summary>
/// The HTTP clients a run sends with, holding --connections connections to the target (or to the
/// sidecar it goes through):
/// <list type="bullet">
/// <item>HTTP/1.1: one pool of N connections; a request that finds them all busy waits in the pool
/// for one, and that wait counts in its latency, as it would for an app with that pool.</item>
/// <item>HTTP/2: N clients of one connection each, taken in turn, since one HTTP/2 client would
/// multiplex everything over a single connection.</item>
/// </list>
/// Through a sidecar, HTTP/1.1 uses it as an HTTP proxy (absolute-form requests, as an app with
/// HTTP_PROXY does); HTTP/2 connects to it and sends h2c addressed to the service, as gRPC apps do,
/// since HTTP/2 through a proxy would need a CONNECT tunnel per connection.
/// </summary>
internal sealed class BenchClients : IDisposable
{
    private readonly HttpMessageInvoker[] _clients;
    private readonly int _connections;
    private readonly Uri _target;
    private readonly Version _version;
    private int _next;

    private BenchClients(HttpMessageInvoker[] clients, int connections, Uri target, Version version)
    {
        _clients = clients;
        _connections = connections;
        _target = target;
        _version = version;
    }

    public static BenchClients Create(BenchOptions options, BenchRoute route)
    {
        var http2 = options.Http == BenchHttpVersion.Http2;
        var clients = new HttpMessageInvoker[http2 ? options.Connections : 1];
        for (var i = 0; i < clients.Length; i++)
        {
            clients[i] = new HttpMessageInvoker(Handler(options, route, http2 ? 1 : options.Connections), disposeHandler: true);
        }

        return new BenchClients(clients, options.Connections, options.Target, http2 ? HttpVersion.Version20 : HttpVersion.Version11);
    }

    /// <summary>
    /// Opens the connections before the schedule starts, with one request each that is not
    /// measured, so that the first measured requests pay neither TCP/TLS handshakes nor this
    /// process's first use of its HTTP stack. What fails here is left for the run to count.
    /// </summary>
    public async Task OpenAsync(TimeSpan timeout, CancellationToken cancellation)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        var requests = new Task[_connections];
        for (var i = 0; i < requests.Length; i++)
        {
            // HTTP/1.1: concurrent requests on the one pool each open a connection of their own.
            requests[i] = OpenOneAsync(_clients[i % _clients.Length], deadline.Token);
        }

        await Task.WhenAll(requests);
    }

    private async Task OpenOneAsync(HttpMessageInvoker client, CancellationToken cancellation)
    {
        try
        {
            using var request = NewRequest();
            using var response = await client.SendAsync(request, cancellation);
            await response.Content.CopyToAsync(Stream.Null, cancellation);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
        }
    }

    /// <summary>The next client to send with. Dispatcher thread only.</summary>
    public HttpMessageInvoker Next()
    {
        var client = _clients[_next];
        _next = _next + 1 == _clients.Length ? 0 : _next + 1;
        return client;
    }

    /// <summary>
    /// A request as the run sends it. Exactly the asked version: on http:// HTTP/2 is prior
    /// knowledge h2c, on https:// ALPN offers h2 alone, so a target that cannot speak it fails
    /// visibly instead of being measured on HTTP/1.1.
    /// </summary>
    public HttpRequestMessage NewRequest() => new(HttpMethod.Get, _target) { Version = _version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };

    private static SocketsHttpHandler Handler(BenchOptions options, BenchRoute route, int connections)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectTimeout = options.Timeout,
            AllowAutoRedirect = false, // a redirect is the target's answer; following it would measure two requests
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false, // never an HTTP_PROXY from the environment: the route is the one asked for
        };
        if (route.SidecarPort is { } sidecar)
        {
            if (options.Http == BenchHttpVersion.Http2)
            {
                handler.ConnectCallback = async (_, cancellation) =>
                {
                    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    try
                    {
                        await socket.ConnectAsync(IPAddress.Loopback, sidecar, cancellation);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                };
            }
            else
            {
                handler.UseProxy = true;
                handler.Proxy = new WebProxy(new Uri($"http://127.0.0.1:{sidecar}"));
            }
        }

        return handler;
    }

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }
}
