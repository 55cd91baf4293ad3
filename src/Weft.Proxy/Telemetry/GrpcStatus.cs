using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Weft.Proxy.Telemetry;

/// <summary>
/// The gRPC status of a response: in the trailers, or in the headers of a trailers-only response
/// (an error before any message). gRPC reports failures with HTTP 200, so metrics need this too.
/// </summary>
internal static class GrpcStatus
{
    public const string Header = "grpc-status";
    public const int None = -1;

    public static int Of(HttpResponse response)
    {
        if (Parse(response.Headers[Header]) is var fromHeaders and not None)
        {
            return fromHeaders;
        }

        return response.HttpContext.Features.Get<IHttpResponseTrailersFeature>()?.Trailers is { } trailers ? Parse(trailers[Header]) : None;
    }

    public static int Parse(StringValues value) =>
        value.Count == 1 && int.TryParse(value[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status) ? status : None;
}
