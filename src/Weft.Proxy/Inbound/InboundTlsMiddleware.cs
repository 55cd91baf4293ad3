using System.Net.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Weft.Proxy.Protocols;
using Weft.Proxy.Tls;

namespace Weft.Proxy.Inbound;

/// <summary>
/// Connection middleware of an inbound listener: looks at the first byte to tell a TLS
/// ClientHello from plaintext, terminates mTLS with the proxy's current certificate, and records
/// the peer's verified SPIFFE identity for the request pipeline. Plaintext passes through marked as
/// such; whether it is accepted is the PeerAuthentication mode's call, made per request.
/// </summary>
internal sealed partial class InboundTlsMiddleware(ConnectionDelegate next, CredentialStore credentials, InboundTcpHandler tcp, ILogger logger)
{
    private const byte TlsHandshakeRecord = 0x16;
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ProtocolDetectionTimeout = TimeSpan.FromSeconds(5);

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        System.IO.Pipelines.ReadResult read;
        try
        {
            read = await input.ReadAsync(connection.ConnectionClosed);
        }
        catch (OperationCanceledException) when (connection.ConnectionClosed.IsCancellationRequested)
        {
            return; // closed before its first byte (a port probe): nothing to serve, nothing to report
        }

        if (read.Buffer.IsEmpty)
        {
            input.AdvanceTo(read.Buffer.Start);
            return;
        }

        var isTls = read.Buffer.FirstSpan[0] == TlsHandshakeRecord;
        input.AdvanceTo(read.Buffer.Start, read.Buffer.Start); // peeked, not consumed
        if (!isTls)
        {
            connection.Features.Set(PeerIdentityFeature.Plaintext);
            if (!await IsHttpAsync(connection))
            {
                await using var raw = new DuplexPipeStream(connection.Transport);
                await tcp.HandleAsync(connection, raw, PeerIdentityFeature.Plaintext);
                return;
            }

            await CleartextHttp2Middleware.DetectAsync(connection);
            await next(connection);
            return;
        }

        var current = credentials.Current;
        if (current is null)
        {
            Log.NoCertificate(logger, connection.RemoteEndPoint?.ToString());
            return;
        }

        var originalTransport = connection.Transport;
        var ssl = new SslStream(new DuplexPipeStream(originalTransport), leaveInnerStreamOpen: false);
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed))
            {
                timeout.CancelAfter(HandshakeTimeout);
                await ssl.AuthenticateAsServerAsync(MtlsAuthenticationOptions.ForServer(current), timeout.Token);
            }
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException or OperationCanceledException)
        {
            Log.HandshakeFailed(logger, connection.RemoteEndPoint?.ToString(), e.Message);
            await ssl.DisposeAsync();
            return;
        }

        var peer = new PeerIdentityFeature(MtlsAuthenticationOptions.GetPeerSpiffeId(ssl));
        if (ssl.NegotiatedApplicationProtocol == MtlsAuthenticationOptions.Tcp)
        {
            await using (ssl)
            {
                await tcp.HandleAsync(connection, ssl, peer);
            }

            return;
        }

        connection.Features.Set(peer);
        NegotiatedProtocol.Set(connection, ssl.NegotiatedApplicationProtocol, ssl.RemoteCertificate as System.Security.Cryptography.X509Certificates.X509Certificate2);
        var securedTransport = new StreamDuplexPipe(ssl);
        connection.Transport = securedTransport;
        try
        {
            await next(connection);
        }
        finally
        {
            await securedTransport.Input.CompleteAsync();
            await securedTransport.Output.CompleteAsync();
            connection.Transport = originalTransport;
            await ssl.DisposeAsync();
        }
    }

    /// <summary>
    /// Plaintext on a port declared TCP is never parsed; on any other port, HTTP is told from
    /// other protocols by the first bytes, waiting a bounded time (a server-first protocol sends nothing).
    /// </summary>
    private async ValueTask<bool> IsHttpAsync(ConnectionContext connection)
    {
        if (tcp.Find(connection) is { IsOpaqueTcp: true })
        {
            return false;
        }

        var start = await ConnectionPeek.ReadAsync(connection.Transport.Input, HttpDetection.BytesNeeded, HttpDetection.CanDecide, ProtocolDetectionTimeout, connection.ConnectionClosed);
        return HttpDetection.LooksLikeHttp(start);
    }

    private static partial class Log
    {
        [LoggerMessage(30, LogLevel.Warning, "Refused mTLS connection from {Peer}: {Reason}")]
        public static partial void HandshakeFailed(ILogger logger, string? peer, string reason);

        [LoggerMessage(31, LogLevel.Warning, "Refused TLS connection from {Peer}: this proxy has no certificate yet")]
        public static partial void NoCertificate(ILogger logger, string? peer);
    }
}
