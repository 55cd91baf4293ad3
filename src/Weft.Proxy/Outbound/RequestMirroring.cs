using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Weft.Proxy.Configuration;
using Weft.Proxy.Forwarding;
using Weft.Proxy.LoadBalancing;
using Weft.Proxy.Routing;

namespace Weft.Proxy.Outbound;

/// <summary>
/// Sends a copy of a request to a route's mirror cluster once the real response is done —
/// fire and forget: the copy's response is discarded, and it never delays or fails the original.
/// As in Envoy, the copy's Host gets a "-shadow" suffix so the mirror can tell it apart.
/// </summary>
internal sealed partial class RequestMirroring(UpstreamClients clients, IRandomSource random, ILogger<RequestMirroring> logger)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public void Send(HttpContext context, CompiledMirror mirror, ReplayableRequestBody? body, string peerHeader)
    {
        if (random.NextDouble() * 100 >= mirror.Percent || mirror.Cluster.PickEndpoint(random) is not { } endpoint)
        {
            return;
        }

        if (body is { CanReplay: false })
        {
            Log.Skipped(logger, mirror.Cluster.Name);
            return; // the body was too large to keep a copy of
        }

        var request = context.Request;
        var copy = new HttpRequestMessage(new HttpMethod(request.Method), string.Concat(endpoint.DestinationPrefix.AsSpan().TrimEnd('/'), request.Path.Value, request.QueryString.Value));
        foreach (var (name, values) in request.Headers)
        {
            if (!string.Equals(name, "Host", StringComparison.OrdinalIgnoreCase) && !name.StartsWith(':'))
            {
                copy.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        copy.Headers.Host = request.Host.Host + "-shadow" + (request.Host.Port is { } port ? $":{port}" : "");
        copy.Headers.Remove(PeerHeader.Name);
        copy.Headers.TryAddWithoutValidation(PeerHeader.Name, peerHeader);
        if (body?.Recorded is { Length: > 0 } recorded)
        {
            copy.Content = new ReadOnlyMemoryContent(recorded);
        }

        copy.Options.Set(UpstreamClients.EndpointKey, endpoint);
        _ = SendAsync(copy, mirror.Cluster);
    }

    private async Task SendAsync(HttpRequestMessage copy, Routing.CompiledCluster cluster)
    {
        using (copy)
        using (var timeout = new CancellationTokenSource(Timeout))
        {
            try
            {
                using var response = await clients.MeshFor(cluster.Connections).SendAsync(copy, timeout.Token);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                Log.Failed(logger, cluster.Name, e.Message);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(90, LogLevel.Debug, "Mirror to {Cluster} failed: {Reason}")]
        public static partial void Failed(ILogger logger, string cluster, string reason);

        [LoggerMessage(91, LogLevel.Debug, "Not mirrored to {Cluster}: the request body was too large to copy")]
        public static partial void Skipped(ILogger logger, string cluster);
    }
}
