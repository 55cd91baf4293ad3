using Grpc.Core;
using Microsoft.Extensions.Logging;
using Weft.Protocol.V1;

namespace Weft.Proxy.Configuration;

/// <summary>
/// Keeps the proxy's config stream to the control plane open: applies each snapshot, answers it
/// with an ACK or a NACK, and reconnects after a failure. While the control plane is away the
/// proxy keeps serving its last good config.
/// </summary>
internal sealed partial class DiscoveryClient(
    ConfigDiscovery.ConfigDiscoveryClient client,
    Node node,
    ProxyConfigStore store,
    TimeProvider time,
    ILogger<DiscoveryClient> logger)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    public async Task RunAsync(CancellationToken cancellation)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!cancellation.IsCancellationRequested)
        {
            try
            {
                await StreamAsync(cancellation);
                backoff = TimeSpan.FromMilliseconds(200);
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RpcException or IOException or HttpRequestException)
            {
                Log.StreamFailed(logger, e.Message, backoff.TotalMilliseconds);
            }

            try
            {
                await Task.Delay(backoff, time, cancellation);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
        }
    }

    private async Task StreamAsync(CancellationToken cancellation)
    {
        using var call = client.StreamConfig(cancellationToken: cancellation);
        await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = node, VersionInfo = store.Current?.Version ?? "" }, cancellation);
        await foreach (var snapshot in call.ResponseStream.ReadAllAsync(cancellation))
        {
            var reply = new DiscoveryRequest { ResponseNonce = snapshot.Nonce };
            try
            {
                store.Apply(snapshot.Config);
                reply.VersionInfo = snapshot.Version;
                Log.Applied(logger, snapshot.Version);
            }
            catch (ProxyConfigException e)
            {
                reply.VersionInfo = store.Current?.Version ?? "";
                reply.ErrorDetail = e.Message;
                Log.Rejected(logger, snapshot.Version, e.Message);
            }

            await call.RequestStream.WriteAsync(reply, cancellation);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(40, LogLevel.Information, "Config version {Version} applied")]
        public static partial void Applied(ILogger logger, string version);

        [LoggerMessage(41, LogLevel.Error, "Config version {Version} rejected, keeping the previous one: {Reason}")]
        public static partial void Rejected(ILogger logger, string version, string reason);

        [LoggerMessage(42, LogLevel.Warning, "Control plane stream failed ({Reason}); retrying in {DelayMs} ms")]
        public static partial void StreamFailed(ILogger logger, string reason, double delayMs);
    }
}
