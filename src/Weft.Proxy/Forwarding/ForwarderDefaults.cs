using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Weft.Proxy.Forwarding;

internal static class ForwarderDefaults
{
    // The idle timeout is generous because route and per-try timeouts bound a request, not inactivity.
    private static readonly TimeSpan ActivityTimeout = TimeSpan.FromMinutes(5);

    private static readonly ForwarderRequestConfig Http11 = new()
    {
        Version = System.Net.HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        ActivityTimeout = ActivityTimeout,
    };

    // Cleartext "http" destinations with an exact 2.0 version make SocketsHttpHandler speak HTTP/2 with
    // prior knowledge — over the proxy's own mTLS stream between sidecars, or h2c to the application.
    private static readonly ForwarderRequestConfig Http2 = new()
    {
        Version = System.Net.HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        ActivityTimeout = ActivityTimeout,
    };

    /// <summary>Between sidecars a request keeps the version it arrived with: HTTP/2 (gRPC) stays HTTP/2.</summary>
    public static ForwarderRequestConfig For(HttpRequest request) => HttpProtocol.IsHttp2(request.Protocol) ? Http2 : Http11;

    /// <summary>
    /// To the application: HTTP/2 only where its port declares it (YARP turns other HTTP/2 requests
    /// into HTTP/1.1, which every HTTP server speaks).
    /// </summary>
    public static ForwarderRequestConfig ForApplication(HttpRequest request, bool appSpeaksHttp2) =>
        appSpeaksHttp2 && HttpProtocol.IsHttp2(request.Protocol) ? Http2 : Http11;
}
