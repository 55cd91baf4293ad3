using Yarp.ReverseProxy.Forwarder;

namespace Weft.Proxy.Forwarding;

internal static class ForwarderDefaults
{
    /// <summary>
    /// HTTP/1.1 on both hops for now; the idle timeout is generous because route timeouts and
    /// per-try timeouts are what bound a request, not inactivity.
    /// </summary>
    public static readonly ForwarderRequestConfig RequestConfig = new()
    {
        Version = System.Net.HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        ActivityTimeout = TimeSpan.FromMinutes(5),
    };
}
