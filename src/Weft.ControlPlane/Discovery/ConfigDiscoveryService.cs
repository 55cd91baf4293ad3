using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Weft.ControlPlane.Registry;
using Weft.ControlPlane.State;
using Weft.Protocol.V1;

namespace Weft.ControlPlane.Discovery;

/// <summary>
/// Serves each proxy its compiled config over one long-lived stream: the current snapshot when it
/// connects, a new one whenever its config changes, and records its ACK or NACK of each.
/// </summary>
public sealed partial class ConfigDiscoveryService(
    MeshState state,
    IProxyAuthenticator authenticator,
    ProxyTracker tracker,
    TimeProvider time,
    ILogger<ConfigDiscoveryService> logger) : ConfigDiscovery.ConfigDiscoveryBase
{
    public override async Task StreamConfig(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<ConfigSnapshot> responseStream, ServerCallContext context)
    {
        var cancellation = context.CancellationToken;
        if (!await requestStream.MoveNext(cancellation))
        {
            return;
        }

        var node = requestStream.Current.Node ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "the first request must name the node"));
        var authentication = await authenticator.AuthenticateAsync(node.BootstrapToken, node.Workload, node.Namespace, cancellation);
        var instance = authentication.Instance ?? throw new RpcException(new Status(StatusCode.Unauthenticated, authentication.Refusal ?? "unauthenticated"));

        var status = tracker.Get(instance.Key);
        status.Connected = true;
        status.ConnectedAt = time.GetUtcNow();
        status.AdminAddress = node.AdminAddress;
        status.ProxyVersion = node.ProxyVersion;
        status.SentVersion = null;
        Log.Connected(logger, instance.Key, node.AdminAddress);

        // Only the newest mesh matters: a proxy that falls behind skips straight to it.
        var updates = Channel.CreateBounded<PublishedMesh>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
        void OnPublished(PublishedMesh mesh) => updates.Writer.TryWrite(mesh);
        state.Published += OnPublished;
        try
        {
            if (state.Current is { } current)
            {
                updates.Writer.TryWrite(current);
            }

            var reader = ReadAcknowledgementsAsync(requestStream, status, cancellation);
            var nonce = 0;
            await foreach (var mesh in updates.Reader.ReadAllAsync(cancellation).WithCancellation(cancellation))
            {
                if (!mesh.Proxies.TryGetValue(instance.Key, out var config) || config.Version == status.SentVersion)
                {
                    continue;
                }

                var snapshot = new ConfigSnapshot { Version = config.Version, Nonce = (++nonce).ToString(System.Globalization.CultureInfo.InvariantCulture), Config = config };
                await responseStream.WriteAsync(snapshot, cancellation);
                status.SentVersion = config.Version;
                if (reader.IsCompleted)
                {
                    break;
                }
            }

            await reader;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
        }
        finally
        {
            state.Published -= OnPublished;
            status.Connected = false;
            status.DisconnectedAt = time.GetUtcNow();
            Log.Disconnected(logger, instance.Key);
        }
    }

    private async Task ReadAcknowledgementsAsync(IAsyncStreamReader<DiscoveryRequest> requests, ProxyStatus status, CancellationToken cancellation)
    {
        try
        {
            while (await requests.MoveNext(cancellation))
            {
                var request = requests.Current;
                if (!string.IsNullOrEmpty(request.ErrorDetail))
                {
                    status.LastNack = request.ErrorDetail;
                    Log.Nack(logger, status.Key, request.ResponseNonce, request.ErrorDetail);
                }
                else if (!string.IsNullOrEmpty(request.VersionInfo))
                {
                    status.AckedVersion = request.VersionInfo;
                    status.LastNack = null;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or RpcException)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(10, LogLevel.Information, "Proxy {Proxy} connected (admin {Admin})")]
        public static partial void Connected(ILogger logger, string proxy, string admin);

        [LoggerMessage(11, LogLevel.Information, "Proxy {Proxy} disconnected")]
        public static partial void Disconnected(ILogger logger, string proxy);

        [LoggerMessage(12, LogLevel.Warning, "Proxy {Proxy} rejected config (nonce {Nonce}): {Error}")]
        public static partial void Nack(ILogger logger, string proxy, string nonce, string error);
    }
}
