using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Weft.Proxy.Authorization;
using Weft.Proxy.Configuration;
using Weft.Proxy.Forwarding;

namespace Weft.Proxy.Inbound;

/// <summary>
/// Inbound TCP: the server end of a tunnel between sidecars (mTLS with ALPN weft/tcp), or a
/// plaintext connection that is not HTTP. The PeerAuthentication mode and the workload's
/// AuthorizationPolicies are applied with only the attributes a TCP connection has, then bytes are
/// relayed to the application.
/// </summary>
internal sealed partial class InboundTcpHandler(ProxyConfigStore store, Telemetry.ProxyCounters counters, Telemetry.TcpMetrics tcpMetrics, ILogger<InboundTcpHandler> logger)
{
    private static readonly IHeaderDictionary NoHeaders = new HeaderDictionary();
    private static readonly TimeSpan PeerMetadataTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The inbound port a connection arrived on, if the proxy has config for it.</summary>
    public InboundRuntime? Find(ConnectionContext connection) =>
        store.Current?.InboundByListenPort.GetValueOrDefault((connection.LocalEndPoint as IPEndPoint)?.Port ?? 0);

    public async Task HandleAsync(ConnectionContext connection, Stream tunnel, PeerIdentityFeature peer)
    {
        var snapshot = store.Current;
        var inbound = Find(connection);
        if (snapshot is null || inbound is null)
        {
            return;
        }

        var source = peer.IsMutualTls ? await ReadPeerAsync(tunnel, connection) : Telemetry.PeerLabels.Unknown;
        if (source is null)
        {
            return; // a tunnel from a sidecar always starts with its peer metadata
        }

        var security = peer.IsMutualTls ? Telemetry.ConnectionSecurity.MutualTls : Telemetry.ConnectionSecurity.None;
        if (!peer.IsMutualTls && inbound.MtlsMode == Protocol.V1.MtlsMode.Strict)
        {
            Log.PlaintextRefused(logger, connection.RemoteEndPoint?.ToString(), inbound.WorkloadPort, inbound.Port.MtlsPolicy);
            tcpMetrics.Refused(Telemetry.Reporter.Destination, source, inbound.Destination, security, WeftReasons.MtlsRequired);
            return;
        }

        var request = new AuthorizationRequest
        {
            Principal = peer.Principal,
            SourceNamespace = peer.Namespace,
            Method = "",
            Path = "",
            Host = "",
            Port = inbound.WorkloadPort,
            Headers = NoHeaders,
            SourceIp = (connection.RemoteEndPoint as IPEndPoint)?.Address,
            IsTcp = true,
        };
        var decision = snapshot.Authorization.Evaluate(in request);
        if (decision.AuditPolicy is { } audit)
        {
            counters.RecordAudit(audit);
        }

        if (!decision.Allowed)
        {
            counters.RecordDenial(decision.Policy ?? "unknown");
            Log.Denied(logger, peer.SpiffeId ?? "(plaintext)", inbound.WorkloadPort, decision.Policy);
            tcpMetrics.Refused(Telemetry.Reporter.Destination, source, inbound.Destination, security, WeftReasons.AuthzDenied);
            return;
        }

        using var app = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await app.ConnectAsync(IPEndPoint.Parse(inbound.Port.AppAddress), connection.ConnectionClosed);
        }
        catch (SocketException e)
        {
            Log.AppUnreachable(logger, inbound.Port.AppAddress, e.Message);
            tcpMetrics.Refused(Telemetry.Reporter.Destination, source, inbound.Destination, security, WeftReasons.UpstreamConnectFailure);
            return;
        }

        var metrics = tcpMetrics.Open(Telemetry.Reporter.Destination, source, inbound.Destination, security);
        try
        {
            await using var appStream = new NetworkStream(app, ownsSocket: false);
            await TcpRelay.RunAsync(tunnel, appStream, connection.ConnectionClosed, metrics);
        }
        finally
        {
            metrics.Closed();
        }
    }

    /// <summary>The client workload's labels a sidecar sends first on a tunnel (see <see cref="Telemetry.TcpPeerMetadata"/>).</summary>
    private static async Task<Telemetry.PeerLabels?> ReadPeerAsync(Stream tunnel, ConnectionContext connection)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        timeout.CancelAfter(PeerMetadataTimeout);
        try
        {
            return await Telemetry.TcpPeerMetadata.ReadAsync(tunnel, timeout.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            return null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(80, LogLevel.Information, "Denied TCP tunnel from {Peer} to port {Port}: AuthorizationPolicy {Policy}")]
        public static partial void Denied(ILogger logger, string peer, int port, string? policy);

        [LoggerMessage(82, LogLevel.Information, "Refused plaintext TCP from {Peer} on STRICT port {Port} (PeerAuthentication {Policy})")]
        public static partial void PlaintextRefused(ILogger logger, string? peer, int port, string policy);

        [LoggerMessage(81, LogLevel.Warning, "TCP tunnel: the application at {Address} did not answer: {Reason}")]
        public static partial void AppUnreachable(ILogger logger, string address, string reason);
    }
}
