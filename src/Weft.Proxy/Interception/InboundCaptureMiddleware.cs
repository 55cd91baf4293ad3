using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Weft.Proxy.Interception;

/// <summary>
/// Connection middleware of the inbound capture port (15006), where iptables redirects every TCP
/// connection to the workload. It restores the connection's local endpoint to the one the peer
/// dialled (the workload port), so the inbound pipeline serves it exactly as it serves a workload
/// port's own listener. A connection to a port the workload does not declare is closed: the mesh
/// does not let traffic around its mTLS and policy checks.
/// </summary>
internal sealed partial class InboundCaptureMiddleware(ConnectionDelegate next, IReadOnlySet<int> workloadPorts, ILogger logger)
{
    public Task OnConnectionAsync(ConnectionContext connection)
    {
        if (OriginalDestination.Of(connection) is not { } destination)
        {
            Log.NotRedirected(logger, connection.RemoteEndPoint?.ToString(), connection.LocalEndPoint?.ToString());
            return Task.CompletedTask;
        }

        if (!workloadPorts.Contains(destination.Port))
        {
            Log.UndeclaredPort(logger, connection.RemoteEndPoint?.ToString(), destination.Port);
            return Task.CompletedTask;
        }

        connection.LocalEndPoint = destination;
        return next(connection);
    }

    private static partial class Log
    {
        [LoggerMessage(90, LogLevel.Warning, "Inbound connection from {Peer} to {Local} was not redirected by the capture rules; closed")]
        public static partial void NotRedirected(ILogger logger, string? peer, string? local);

        [LoggerMessage(91, LogLevel.Warning, "Inbound connection from {Peer} to port {Port}, which the workload does not declare; closed")]
        public static partial void UndeclaredPort(ILogger logger, string? peer, int port);
    }
}
