using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Weft.Proxy.Configuration;
using Weft.Proxy.Forwarding;
using Weft.Proxy.Inbound;
using Weft.Proxy.LoadBalancing;
using Weft.Proxy.Protocols;
using Weft.Proxy.Routing;
using Weft.Proxy.Tls;

namespace Weft.Proxy.Outbound;

/// <summary>
/// Connection middleware of the outbound listener. Looks at how the application opens: the HTTP/2
/// preface (h2c, e.g. gRPC) is served as HTTP/2; an HTTP CONNECT becomes a raw tunnel to the
/// service (over mTLS to its sidecar) — how HTTP-proxy clients carry WebSockets and non-HTTP TCP;
/// anything else is HTTP/1.1 for the request pipeline.
/// On the capture port of transparent mode (<paramref name="captures"/>), where iptables redirects
/// every connection the app opens, the original destination decides first: a service's virtual IP
/// on a TCP port is relayed to the service, on any other port it goes on to the request pipeline
/// (which routes by Host, else by that address); a destination outside the mesh is passed through.
/// </summary>
internal sealed partial class OutboundConnectionMiddleware(
    ConnectionDelegate next,
    ProxyConfigStore store,
    UpstreamClients clients,
    IRandomSource random,
    ILogger logger,
    Telemetry.TcpMetrics tcpMetrics,
    bool captures = false)
{
    private static readonly TimeSpan DetectionTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PassthroughConnectTimeout = TimeSpan.FromSeconds(10);

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        if (captures && Interception.OriginalDestination.Of(connection) is { } destination && !destination.Equals(connection.LocalEndPoint))
        {
            var snapshot = store.Current;
            if (snapshot is not null && snapshot.Routes.TryFindVirtualHost(destination, out var service))
            {
                if (service.IsOpaqueTcp)
                {
                    await RelayToServiceAsync(connection, snapshot, service, service.Name, answer: false);
                    return;
                }

                connection.Features.Set(new Interception.OriginalDestinationFeature(destination));
            }
            else if (snapshot is not null)
            {
                await PassThroughAsync(connection, destination);
                return;
            }
        }

        byte[] start;
        try
        {
            start = await ConnectionPeek.ReadAsync(connection.Transport.Input, ConnectRequest.MaxHeadLength,
                buffer => (!ConnectRequest.StartsWith(buffer.FirstSpan) && Http2Preface.CanDecide(buffer.FirstSpan)) || ConnectRequest.IsComplete(buffer),
                DetectionTimeout, connection.ConnectionClosed);
        }
        catch (OperationCanceledException) when (connection.ConnectionClosed.IsCancellationRequested)
        {
            return; // closed before its first byte (a port probe): nothing to serve, nothing to report
        }

        if (ConnectRequest.StartsWith(start))
        {
            await TunnelAsync(connection, start);
            return;
        }

        if (Http2Preface.Matches(start))
        {
            NegotiatedProtocol.Set(connection, System.Net.Security.SslApplicationProtocol.Http2);
        }

        await next(connection);
    }

    private async Task TunnelAsync(ConnectionContext connection, byte[] start)
    {
        var output = connection.Transport.Output;
        if (!ConnectRequest.TryParse(new System.Buffers.ReadOnlySequence<byte>(start), out var headLength, out var authority))
        {
            await output.WriteAsync(ConnectRequest.Refusal(400, "bad-request", "malformed CONNECT request"));
            return;
        }

        var head = await connection.Transport.Input.ReadAsync(connection.ConnectionClosed);
        connection.Transport.Input.AdvanceTo(head.Buffer.GetPosition(headLength)); // what follows the head belongs to the tunnel
        var snapshot = store.Current;
        if (snapshot is null || !snapshot.Routes.TryFindVirtualHost(authority, out var host) || host.Routes.Count == 0)
        {
            await output.WriteAsync(ConnectRequest.Refusal(404, WeftReasons.NoRoute, $"no service in the mesh is called '{authority}'"));
            return;
        }

        await RelayToServiceAsync(connection, snapshot, host, authority, answer: true);
    }

    /// <summary>
    /// Relays a connection to one endpoint of a service, over mTLS when it has a sidecar.
    /// <paramref name="answer"/>: the client asked with CONNECT and is answered in HTTP; a captured
    /// connection has no one to answer, and a refusal closes it.
    /// </summary>
    private async Task RelayToServiceAsync(ConnectionContext connection, ProxySnapshot snapshot, CompiledVirtualHost host, string authority, bool answer)
    {
        var output = connection.Transport.Output;
        if (host.Routes.Count == 0)
        {
            Log.CapturedRefused(logger, authority, "the service has no route");
            return;
        }

        async ValueTask RefuseAsync(int status, string reason, string detail)
        {
            if (answer)
            {
                await output.WriteAsync(ConnectRequest.Refusal(status, reason, detail));
            }
            else
            {
                Log.CapturedRefused(logger, authority, $"{reason}: {detail}");
            }
        }

        // A tunnel carries no HTTP request to match on: it follows the host's first route's split.
        var cluster = host.Routes[0].PickDestination(random);
        var endpoint = cluster.PickEndpoint(random);
        if (endpoint is null)
        {
            await RefuseAsync(503, WeftReasons.NoHealthyUpstream, $"{cluster.Name} has no endpoints");
            return;
        }

        var security = string.IsNullOrEmpty(endpoint.SpiffeId) ? Telemetry.ConnectionSecurity.None : Telemetry.ConnectionSecurity.MutualTls;
        Stream upstream;
        try
        {
            upstream = await clients.ConnectTunnelAsync(new IPEndPoint(IPAddress.Parse(endpoint.Host), endpoint.Port), endpoint, cluster.Connections.ConnectTimeout, connection.ConnectionClosed);
            if (security == Telemetry.ConnectionSecurity.MutualTls)
            {
                await Telemetry.TcpPeerMetadata.WriteAsync(upstream, snapshot.PeerHeaderValue, connection.ConnectionClosed);
            }
        }
        catch (Exception e) when (e is HttpRequestException or System.Net.Sockets.SocketException or IOException)
        {
            Log.TunnelFailed(logger, authority, endpoint.Address, e.Message);
            tcpMetrics.Refused(Telemetry.Reporter.Source, snapshot.Self, endpoint.Labels, security, WeftReasons.UpstreamConnectFailure);
            await RefuseAsync(503, WeftReasons.UpstreamConnectFailure, $"{endpoint.Address} ({endpoint.Workload}): {e.Message}");
            return;
        }

        await using (upstream)
        {
            if (answer)
            {
                await output.WriteAsync(ConnectRequest.Established);
            }

            endpoint.IncrementOutstanding();
            var metrics = tcpMetrics.Open(Telemetry.Reporter.Source, snapshot.Self, endpoint.Labels, security);
            try
            {
                await using var client = new DuplexPipeStream(connection.Transport);
                await TcpRelay.RunAsync(client, upstream, connection.ConnectionClosed, metrics);
            }
            finally
            {
                endpoint.DecrementOutstanding();
                metrics.Closed();
            }
        }
    }

    /// <summary>
    /// A captured connection to an address outside the mesh (Istio's PassthroughCluster): relayed
    /// as it is to where the app was headed. The proxy's own connections are not captured again.
    /// </summary>
    private async Task PassThroughAsync(ConnectionContext connection, IPEndPoint destination)
    {
        var self = store.Current?.Self ?? Telemetry.PeerLabels.Unknown;
        Stream upstream;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
            timeout.CancelAfter(PassthroughConnectTimeout);
            upstream = await clients.ConnectAsync(destination, null, default, timeout.Token);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or OperationCanceledException)
        {
            Log.PassthroughFailed(logger, destination.ToString(), e.Message);
            tcpMetrics.Refused(Telemetry.Reporter.Source, self, Telemetry.PeerLabels.Unknown, Telemetry.ConnectionSecurity.None, WeftReasons.UpstreamConnectFailure);
            return;
        }

        await using (upstream)
        {
            var metrics = tcpMetrics.Open(Telemetry.Reporter.Source, self, Telemetry.PeerLabels.Unknown, Telemetry.ConnectionSecurity.None);
            try
            {
                await using var client = new DuplexPipeStream(connection.Transport);
                await TcpRelay.RunAsync(client, upstream, connection.ConnectionClosed, metrics);
            }
            finally
            {
                metrics.Closed();
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(71, LogLevel.Warning, "Captured connection to {Authority} refused: {Reason}")]
        public static partial void CapturedRefused(ILogger logger, string authority, string reason);

        [LoggerMessage(72, LogLevel.Warning, "Passthrough connection to {Destination} failed: {Reason}")]
        public static partial void PassthroughFailed(ILogger logger, string destination, string reason);

        [LoggerMessage(70, LogLevel.Warning, "CONNECT tunnel to {Authority} via {Endpoint} failed: {Reason}")]
        public static partial void TunnelFailed(ILogger logger, string authority, string endpoint, string reason);
    }
}
