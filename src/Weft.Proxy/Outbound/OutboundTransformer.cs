using Microsoft.AspNetCore.Http;
using Weft.Proxy.Configuration;
using Weft.Proxy.LoadBalancing;
using Weft.Proxy.Resilience;
using Yarp.ReverseProxy.Forwarder;

namespace Weft.Proxy.Outbound;

/// <summary>
/// Shapes one outbound attempt: keeps the Host the app asked for, tells the peer who is calling,
/// and holds back a retriable response (instead of copying it to the client) while another
/// attempt remains, so the retry loop can try again.
/// </summary>
internal sealed class OutboundTransformer : HttpTransformer
{
    public EndpointState? Endpoint { get; set; }
    /// <summary>Sent upstream as x-weft-attempt (like Envoy's x-envoy-attempt-count), so apps and logs can tell retries apart.</summary>
    public const string AttemptHeader = "x-weft-attempt";

    private static readonly string[] AttemptNumbers = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];

    public string PeerHeaderValue { get; set; } = "";

    /// <summary>The route's rewrite and header operations, if any.</summary>
    public Routing.RouteActions? Actions { get; set; }

    /// <summary>The chosen destination's own header operations, if any.</summary>
    public Routing.DestinationHeaders? DestinationHeaders { get; set; }

    /// <summary>1 for the first try, 2 for the first retry, …</summary>
    public int Attempt { get; set; } = 1;
    public CompiledRetryPolicy? Retries { get; set; }
    public bool MayRetry { get; set; }

    /// <summary>The request body as the retry loop keeps it; a response is held back only if the body can be sent again.</summary>
    public Forwarding.ReplayableRequestBody? Body { get; set; }
    public int? HeldBackStatus { get; private set; }
    public bool ResponseReceived { get; private set; }

    /// <summary>The per-try timer, disarmed once response headers arrive (perTryTimeout covers the wait for them).</summary>
    public CancellationTokenSource? PerTryTimeout { get; set; }

    public void BeginAttempt()
    {
        HeldBackStatus = null;
        ResponseReceived = false;
    }

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        proxyRequest.Headers.Host = Actions?.RewriteAuthority ?? httpContext.Request.Host.Value;
        if (Actions is { } actions)
        {
            if (actions.RewriteUri is not null)
            {
                var path = actions.RewritePath(httpContext.Request.Path.Value ?? "/");
                proxyRequest.RequestUri = new Uri(string.Concat(destinationPrefix.AsSpan().TrimEnd('/'), path, httpContext.Request.QueryString.Value));
            }

            actions.RequestHeaders?.Apply(proxyRequest.Headers);
        }

        DestinationHeaders?.Request?.Apply(proxyRequest.Headers);
        proxyRequest.Headers.Remove(PeerHeader.Name);
        proxyRequest.Headers.TryAddWithoutValidation(PeerHeader.Name, PeerHeaderValue);
        Telemetry.Tracing.ProxySpans.Inject(httpContext, proxyRequest.Headers);
        proxyRequest.Headers.Remove(AttemptHeader);
        proxyRequest.Headers.TryAddWithoutValidation(AttemptHeader, Attempt < AttemptNumbers.Length ? AttemptNumbers[Attempt] : Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (Endpoint is not null)
        {
            proxyRequest.Options.Set(Forwarding.UpstreamClients.EndpointKey, Endpoint);
        }
    }

    /// <summary>A gRPC error before any message comes in the headers (trailers-only): retriable before anything is sent.</summary>
    private static int TrailersOnlyGrpcStatus(HttpResponseMessage response) =>
        response.Headers.NonValidated.TryGetValues(Telemetry.GrpcStatus.Header, out var values) && values.Count == 1
            && int.TryParse(values.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status)
            ? status
            : Telemetry.GrpcStatus.None;

    public override ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is not null)
        {
            ResponseReceived = true;
            PerTryTimeout?.CancelAfter(Timeout.InfiniteTimeSpan);
            var status = (int)proxyResponse.StatusCode;
            if (MayRetry && Body is not { CanReplay: false } && Retries is not null && (Retries.ShouldRetry(status) || Retries.ShouldRetryGrpc(TrailersOnlyGrpcStatus(proxyResponse))))
            {
                HeldBackStatus = status;
                return ValueTask.FromResult(false);
            }
        }

        return Actions?.ResponseHeaders is null && DestinationHeaders?.Response is null
            ? base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken)
            : TransformWithHeadersAsync(httpContext, proxyResponse, cancellationToken);
    }

    private async ValueTask<bool> TransformWithHeadersAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var copyBody = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        Actions?.ResponseHeaders?.Apply(httpContext.Response.Headers);
        DestinationHeaders?.Response?.Apply(httpContext.Response.Headers);
        return copyBody;
    }
}
