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

    public UpstreamClients(CredentialStore credentials)
    {
        _credentials = credentials;
        Mesh = new HttpMessageInvoker(CreateHandler(ConnectMeshAsync));
        Local = new HttpMessageInvoker(CreateHandler(null));
    }

    /// <summary>To other sidecars (mTLS) and un-meshed endpoints (plaintext).</summary>
    public HttpMessageInvoker Mesh { get; }

    /// <summary>To the local application (plaintext loopback).</summary>
    public HttpMessageInvoker Local { get; }

    private static SocketsHttpHandler CreateHandler(Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? connect)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
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
        Mesh.Dispose();
        Local.Dispose();
    }
}
