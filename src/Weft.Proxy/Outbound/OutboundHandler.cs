using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Weft.Proxy.Configuration;
using Weft.Proxy.Forwarding;
using Weft.Proxy.LoadBalancing;
using Weft.Proxy.Resilience;
using Weft.Proxy.Routing;
using Weft.Proxy.Telemetry;
using Yarp.ReverseProxy.Forwarder;

namespace Weft.Proxy.Outbound;

/// <summary>
/// The client side of the mesh: a request from the local app is matched to a service and route,
/// split to a cluster, balanced to an endpoint and forwarded over mTLS, with retries and
/// timeouts as the route declares.
/// </summary>
internal sealed class OutboundHandler(
    ProxyConfigStore store,
    IHttpForwarder forwarder,
    UpstreamClients clients,
    RequestRecorder recorder,
    ProxyCounters counters,
    IRandomSource random,
    RouteActionRunner routeActions,
    RequestMirroring mirroring)
{
    /// <summary>Bodies up to this size are buffered so the request can be retried.</summary>
    private const int MaxReplayableBody = OutboundHttp1.MaxReplayableBody;

    public async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        recorder.Begin(context, Reporter.Source);
        var snapshot = store.Current;
        if (snapshot is null)
        {
            await ProxyResponses.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, WeftReasons.NotReady, "the sidecar has no config from the control plane yet");
            return;
        }

        if (!snapshot.Routes.TryFindVirtualHost(context.Request.Host.Value ?? "", out var host)
            && !(context.Features.Get<Interception.OriginalDestinationFeature>() is { } captured && snapshot.Routes.TryFindVirtualHost(captured.Destination, out host)))
        {
            await ProxyResponses.WriteAsync(context, StatusCodes.Status404NotFound, WeftReasons.NoRoute, $"no service in the mesh is called '{context.Request.Host.Value}'");
            Record(context, snapshot, PeerLabels.Unknown, 404, WeftReasons.NoRoute, started, ConnectionSecurity.None);
            return;
        }

        var route = host.Match(context.Request.Method, context.Request.Path.Value ?? "/", context.Request.Headers,
            host.MatchesQueryParameters ? context.Request.Query : null);
        if (route is null)
        {
            await ProxyResponses.WriteAsync(context, StatusCodes.Status404NotFound, WeftReasons.NoRoute, $"no route of {host.Name} matches {context.Request.Method} {context.Request.Path}");
            Record(context, snapshot, PeerLabels.Unknown, 404, WeftReasons.NoRoute, started, ConnectionSecurity.None);
            return;
        }

        Telemetry.Tracing.ProxySpans.Route(context, host.Name, route.Name, route.Source);
        if (route.Actions is { } actions && await routeActions.ApplyBeforeForwardingAsync(context, actions))
        {
            // The route answered itself (a redirect or an injected abort).
            Record(context, snapshot, PeerLabels.Unknown, context.Response.StatusCode, actions.Redirect is null ? WeftReasons.FaultAbort : WeftReasons.None, started, ConnectionSecurity.None);
            return;
        }

        var cluster = route.PickDestination(random, out var destinationHeaders);
        if (cluster.Admission is { } admission)
        {
            if (!admission.TryEnter(HttpProtocol.IsHttp2(context.Request.Protocol)))
            {
                await ProxyResponses.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, WeftReasons.Overflow, $"{cluster.Name} is at its connectionPool limit");
                Record(context, snapshot, PeerLabels.Unknown, 503, WeftReasons.Overflow, started, ConnectionSecurity.None);
                return;
            }

            context.Response.RegisterForDispose(new AdmissionRelease(admission));
        }

        var retries = route.Retries;
        var maxAttempts = 1 + retries.Attempts;
        var body = maxAttempts > 1 || route.Mirror is not null ? ReplayableBodyOf(context.Request) : null;
        if (route.Mirror is { } mirror)
        {
            context.Response.OnCompleted(() =>
            {
                mirroring.Send(context, mirror, body, snapshot.PeerHeaderValue);
                return Task.CompletedTask;
            });
        }

        // Timers only where the route sets them: most routes have neither timeout (Istio's default retry
        // policy has no perTryTimeout), and then the request's own abort token is all an attempt needs.
        using var routeTimeout = route.Timeout > TimeSpan.Zero ? CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted) : null;
        routeTimeout?.CancelAfter(route.Timeout);
        var routeToken = routeTimeout?.Token ?? context.RequestAborted;

        var transformer = new OutboundTransformer { PeerHeaderValue = snapshot.PeerHeaderValue, Retries = retries, Actions = route.Actions, DestinationHeaders = destinationHeaders };
        EndpointState? previous = null;
        for (var attempt = 1; ; attempt++)
        {
            var endpoint = cluster.PickEndpoint(context, random);
            if (endpoint is null)
            {
                await ProxyResponses.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, WeftReasons.NoHealthyUpstream,
                    cluster.Endpoints.Length == 0 ? $"{cluster.Name} has no endpoints" : $"every endpoint of {cluster.Name} is ejected by outlier detection");
                Record(context, snapshot, PeerLabels.Unknown, 503, WeftReasons.NoHealthyUpstream, started, ConnectionSecurity.None);
                return;
            }

            // Prefer another endpoint for a retry when there is one (Envoy's previous_hosts predicate).
            if (endpoint == previous && cluster.Hash is null && cluster.AvailableEndpoints.Length > 1)
            {
                endpoint = cluster.PickEndpoint(random) ?? endpoint;
            }

            previous = endpoint;
            using var perTry = retries.PerTryTimeout > TimeSpan.Zero ? CancellationTokenSource.CreateLinkedTokenSource(routeToken) : null;
            perTry?.CancelAfter(retries.PerTryTimeout);

            transformer.Endpoint = endpoint;
            transformer.PerTryTimeout = perTry;
            transformer.MayRetry = attempt < maxAttempts;
            transformer.Body = body;
            transformer.Attempt = attempt;
            transformer.BeginAttempt();
            if (attempt > 1)
            {
                ResetForRetry(context, body);
                counters.RecordRetry(cluster.Name);
            }

            endpoint.IncrementOutstanding();
            var attemptStarted = Stopwatch.GetTimestamp();
            var error = await forwarder.SendAsync(context, endpoint.DestinationPrefix, clients.MeshFor(cluster.Connections), ForwarderDefaults.For(context.Request), transformer, perTry?.Token ?? routeToken);
            endpoint.DecrementOutstanding();
            endpoint.RecordLatency(Stopwatch.GetElapsedTime(attemptStarted));

            var security = string.IsNullOrEmpty(endpoint.SpiffeId) ? ConnectionSecurity.None : ConnectionSecurity.MutualTls;
            cluster.Outlier?.Report(endpoint, error == ForwarderError.None ? transformer.HeldBackStatus ?? context.Response.StatusCode : null);
            Telemetry.Tracing.ProxySpans.Attempt(context, attempt, endpoint, error, transformer.HeldBackStatus ?? context.Response.StatusCode, attemptStarted);
            if (error == ForwarderError.None && transformer.HeldBackStatus is null)
            {
                Record(context, snapshot, endpoint.Labels, context.Response.StatusCode, WeftReasons.None, started, security, endpoint.Address, attempt);
                return;
            }

            if (context.Response.HasStarted)
            {
                // The response is already on its way to the client: it can only be cut short.
                context.Abort();
                Record(context, snapshot, endpoint.Labels, context.Response.StatusCode, WeftReasons.UpstreamReset, started, security, endpoint.Address, attempt);
                return;
            }

            var failure = Classify(error, context, perTry, routeTimeout, transformer);
            if (routeTimeout is { IsCancellationRequested: true } && !context.RequestAborted.IsCancellationRequested)
            {
                await ProxyResponses.WriteAsync(context, StatusCodes.Status504GatewayTimeout, WeftReasons.UpstreamTimeout, $"route timeout {route.Timeout.TotalMilliseconds} ms exceeded after {attempt} attempt(s)");
                Record(context, snapshot, endpoint.Labels, 504, WeftReasons.UpstreamTimeout, started, security, endpoint.Address, attempt);
                return;
            }

            if (context.RequestAborted.IsCancellationRequested)
            {
                return;
            }

            var retriable = transformer.HeldBackStatus is not null
                || (failure is { } f && (retries.ShouldRetry(f) || (f == UpstreamFailure.Timeout && retries.Attempts > 0)));
            if (retriable && attempt < maxAttempts && body is not { CanReplay: false })
            {
                continue;
            }

            var (status, reason) = failure switch
            {
                UpstreamFailure.Timeout => (StatusCodes.Status504GatewayTimeout, WeftReasons.UpstreamTimeout),
                UpstreamFailure.ConnectFailure => (StatusCodes.Status503ServiceUnavailable, WeftReasons.UpstreamConnectFailure),
                _ => (StatusCodes.Status503ServiceUnavailable, WeftReasons.UpstreamReset),
            };
            var detail = context.Features.Get<IForwarderErrorFeature>()?.Exception?.Message ?? error.ToString();
            await ProxyResponses.WriteAsync(context, status, reason, $"{endpoint.Address} ({endpoint.Workload}) failed after {attempt} attempt(s): {detail}");
            Record(context, snapshot, endpoint.Labels, status, reason, started, security, endpoint.Address, attempt);
            return;
        }
    }

    private static UpstreamFailure? Classify(ForwarderError error, HttpContext context, CancellationTokenSource? perTry, CancellationTokenSource? routeTimeout, OutboundTransformer transformer)
    {
        if (error == ForwarderError.None)
        {
            return null;
        }

        var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
        if (perTry is { IsCancellationRequested: true } && routeTimeout is not { IsCancellationRequested: true })
        {
            return UpstreamFailure.Timeout;
        }

        if (error == ForwarderError.RequestTimedOut)
        {
            // SocketsHttpHandler reports the cluster's connectTimeout as a cancellation wrapping a TimeoutException.
            return exception is OperationCanceledException { InnerException: TimeoutException } && !transformer.ResponseReceived
                ? UpstreamFailure.ConnectFailure
                : UpstreamFailure.Timeout;
        }

        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError or HttpRequestError.NameResolutionError }
                || e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
            {
                return transformer.ResponseReceived ? UpstreamFailure.Reset : UpstreamFailure.ConnectFailure;
            }
        }

        return UpstreamFailure.Reset;
    }

    /// <summary>Gives a cluster's connection-pool slot back when the request is done.</summary>
    private sealed class AdmissionRelease(Resilience.ClusterAdmission admission) : IDisposable
    {
        public void Dispose() => admission.Exit();
    }

    /// <summary>Wraps a request body that a retry may have to send again; null when there is none.</summary>
    private static ReplayableRequestBody? ReplayableBodyOf(HttpRequest request)
    {
        var canHaveBody = request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? true;
        if (!canHaveBody || request.ContentLength == 0)
        {
            return null;
        }

        var body = new ReplayableRequestBody(request.Body, MaxReplayableBody);
        request.HttpContext.Response.RegisterForDispose(body);
        request.Body = body;
        return body;
    }

    private static void ResetForRetry(HttpContext context, ReplayableRequestBody? body)
    {
        context.Features.Set<IForwarderErrorFeature>(null);
        context.Response.Clear();
        body?.Rewind();
    }

    private void Record(HttpContext context, ProxySnapshot snapshot, PeerLabels destination, int status, string reason, long started,
        ConnectionSecurity security, string? upstream = null, int attempts = 0) =>
        recorder.Record(context, Reporter.Source, snapshot.Self, destination, status, reason, security, started, upstream, attempts);
}
