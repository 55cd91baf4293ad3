using Microsoft.AspNetCore.Http;

namespace Weft.Proxy.Forwarding;

/// <summary>Responses the proxy makes itself: always with the reason, so nobody has to guess who answered.</summary>
internal static class ProxyResponses
{
    public static Task WriteAsync(HttpContext context, int status, string reason, string detail, string? reasonHeader = null)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.Headers[WeftReasons.Header] = reasonHeader ?? reason;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync($"weft: {reason}: {detail}\n");
    }
}
