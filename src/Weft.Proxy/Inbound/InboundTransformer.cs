using Microsoft.AspNetCore.Http;
using Weft.Proxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Weft.Proxy.Inbound;

/// <summary>
/// Hands a request to the local application as it arrived, minus the mesh's own metadata, plus
/// the caller's verified identity in x-forwarded-client-cert (as Istio does).
/// </summary>
internal sealed class InboundTransformer : HttpTransformer
{
    public static readonly InboundTransformer Instance = new();
    private const string ClientCertHeader = "x-forwarded-client-cert";

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        proxyRequest.Headers.Host = httpContext.Request.Host.Value;
        proxyRequest.Headers.Remove(PeerHeader.Name);
        Telemetry.Tracing.ProxySpans.Inject(httpContext, proxyRequest.Headers);
        proxyRequest.Headers.Remove(ClientCertHeader);
        if (httpContext.Features.Get<PeerIdentityFeature>() is { ForwardedClientCert: { } clientCert })
        {
            proxyRequest.Headers.TryAddWithoutValidation(ClientCertHeader, clientCert);
        }
    }
}
