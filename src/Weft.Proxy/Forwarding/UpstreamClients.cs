using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Weft.Proxy.LoadBalancing;
using Weft.Proxy.Tls;

namespace Weft.Proxy.Forwarding;

/// <summary>
/// The HTTP clients a proxy forwards with. The mesh client originates mTLS itself in its connect
/// callback, checking that the peer presents exactly the identity the endpoint must have; it reads
/// the current certificate per connection, so a rotation applies to new connections at once.
/// </summary>
internal sealed class UpstreamClients : IDisposable
{
    /// <summary>Tells the connect callback which endpoint (and so which identity) a request goes to.</summary>
    public static readonly HttpRequestOptionsKey<EndpointState> EndpointKey = new("weft.endpoint");

    private readonly CredentialStore _credentials;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<UpstreamConnectionSettings, HttpMessageInvoker> _meshBySettings = new();

    public UpstreamClients(CredentialStore credentials)
    {
        _credentials = credentials;
        Mesh = new HttpMessageInvoker(CreateHandler(ConnectMeshAsync, UpstreamConnectionSettings.Default));
        Local = new HttpMessageInvoker(CreateHandler(null, UpstreamConnectionSettings.Default));
    }

    /// <summary>To other sidecars (mTLS) and un-meshed endpoints (plaintext), with the default connection settings.</summary>
    public HttpMessageInvoker Mesh { get; }

    /// <summary>
    /// The mesh client for a cluster's connection settings: its own connection pool when the cluster's
    /// DestinationRule changes how connections are made or kept, the shared one otherwise.
    /// </summary>
    public HttpMessageInvoker MeshFor(in UpstreamConnectionSettings settings) =>
        settings == UpstreamConnectionSettings.Default
            ? Mesh
            : _meshBySettings.GetOrAdd(settings, static (key, self) => new HttpMessageInvoker(CreateHandler(self.ConnectMeshAsync, key)), this);

    /// <summary>To the local application (plaintext loopback).</summary>
    public HttpMessageInvoker Local { get; }

    private static SocketsHttpHandler CreateHandler(Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? connect, UpstreamConnectionSettings settings)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = settings.ConnectTimeout,
            PooledConnectionIdleTimeout = settings.IdleTimeout,
            PooledConnectionLifetime = settings.Lifetime,
        };
        if (connect is not null)
        {
            handler.ConnectCallback = connect;
        }

        return handler;
    }

    private ValueTask<Stream> ConnectMeshAsync(SocketsHttpConnectionContext context, CancellationToken cancellation)
    {
        context.InitialRequestMessage.Options.TryGetValue(EndpointKey, out var endpoint);
        var protocol = context.InitialRequestMessage.Version.Major >= 2 ? SslApplicationProtocol.Http2 : SslApplicationProtocol.Http11;
        return ConnectAsync(context.DnsEndPoint, endpoint, protocol, cancellation);
    }

    /// <summary>
    /// Opens a connection to an endpoint: mTLS (offering exactly <paramref name="protocol"/>) when it
    /// has a sidecar, plaintext when it does not.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(EndPoint address, EndpointState? endpoint, SslApplicationProtocol protocol, CancellationToken cancellation)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(address, cancellation);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return await SecureAsync(socket, endpoint, protocol, cancellation);
    }

    /// <summary>
    /// Opens a TCP tunnel's connection to an endpoint within <paramref name="connectTimeout"/>
    /// (TCP connect and mTLS handshake), failing as a connect failure when it runs out.
    /// </summary>
    public async ValueTask<Stream> ConnectTunnelAsync(EndPoint address, EndpointState endpoint, TimeSpan connectTimeout, CancellationToken cancellation)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(connectTimeout);
        try
        {
            return await ConnectAsync(address, endpoint, MtlsAuthenticationOptions.Tcp, timeout.Token);
        }
        catch (Exception e) when (timeout.IsCancellationRequested && !cancellation.IsCancellationRequested
            && (e is OperationCanceledException || e.InnerException is OperationCanceledException))
        {
            throw new HttpRequestException(HttpRequestError.ConnectionError,
                $"connect timeout {connectTimeout.TotalMilliseconds} ms to {endpoint.Address} exceeded", new TimeoutException());
        }
    }

    private async ValueTask<Stream> SecureAsync(Socket socket, EndpointState? endpoint, SslApplicationProtocol protocol, CancellationToken cancellation)
    {
        var network = new NetworkStream(socket, ownsSocket: true);
        if (endpoint is null || string.IsNullOrEmpty(endpoint.SpiffeId))
        {
            return network; // an un-meshed endpoint: plaintext
        }

        var credentials = _credentials.Current;
        if (credentials is null)
        {
            await network.DisposeAsync();
            throw new HttpRequestException(HttpRequestError.SecureConnectionError, "this proxy has no certificate yet");
        }

        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(MtlsAuthenticationOptions.ForClient(credentials, endpoint.SpiffeId, protocol), cancellation);
        }
        catch (Exception e)
        {
            await ssl.DisposeAsync();
            throw new HttpRequestException(HttpRequestError.SecureConnectionError,
                $"mTLS to {endpoint.Address} failed (expected peer {endpoint.SpiffeId}): {e.Message}", e);
        }

        return ssl;
    }

    public void Dispose()
    {
        foreach (var invoker in _meshBySettings.Values)
        {
            invoker.Dispose();
        }

        Mesh.Dispose();
        Local.Dispose();
    }
}
