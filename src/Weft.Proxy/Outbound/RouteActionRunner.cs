using Microsoft.AspNetCore.Http;
using Weft.Proxy.Forwarding;
using Weft.Proxy.LoadBalancing;
using Weft.Proxy.Routing;

namespace Weft.Proxy.Outbound;

/// <summary>
/// The parts of a route that act before (or instead of) forwarding: a redirect answers at once;
/// fault injection delays, then aborts, the configured share of requests, as Istio's fault filter does.
/// </summary>
internal sealed class RouteActionRunner(IRandomSource random, TimeProvider time)
{
    /// <summary>Returns true when the route itself answered the request.</summary>
    public async ValueTask<bool> ApplyBeforeForwardingAsync(HttpContext context, RouteActions actions)
    {
        if (actions.Redirect is { } redirect)
        {
            context.Response.StatusCode = redirect.Code == 0 ? StatusCodes.Status301MovedPermanently : (int)redirect.Code;
            context.Response.Headers.Location = actions.RedirectLocation(context.Request);
            return true;
        }

        if (actions.DelayPercent > 0 && random.NextDouble() * 100 < actions.DelayPercent)
        {
            await Task.Delay(actions.Delay, time, context.RequestAborted);
        }

        if (actions.AbortPercent > 0 && random.NextDouble() * 100 < actions.AbortPercent)
        {
            await ProxyResponses.WriteAsync(context, actions.AbortStatus, WeftReasons.FaultAbort, $"aborted with {actions.AbortStatus} by the route's fault injection");
            return true;
        }

        return false;
    }
}
