using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Weft.Proxy.Inbound;
using Weft.Proxy.LoadBalancing;
using Yarp.ReverseProxy.Forwarder;

namespace Weft.Proxy.Telemetry.Tracing;

/// <summary>
/// One span per request and proxy: a server span where a request enters a workload (inbound) and
/// a client span where it leaves one (outbound), with OpenTelemetry's HTTP attributes, the peer's
/// SPIFFE identity, the endpoint, and one event per attempt. The span lives in the request's
/// features from <see cref="Start"/> to <see cref="End"/>. With tracing off nothing listens to
/// <see cref="Source"/>, and every method returns after one check, allocating nothing.
/// </summary>
internal static class ProxySpans
{
    public const string SourceName = "Weft.Proxy";
    public static readonly ActivitySource Source = new(SourceName, typeof(ProxySpans).Assembly.GetName().Version?.ToString());

    /// <summary>Whether anything records spans (an OTLP endpoint is configured).</summary>
    public static bool Enabled => Source.HasListeners();

    /// <summary>Starts the request's span, continuing the trace context it carries or starting a trace.</summary>
    public static void Start(HttpContext context, ActivityKind kind)
    {
        if (!Source.HasListeners())
        {
            return;
        }

        StartSpan(context, kind);
    }

    private static void StartSpan(HttpContext context, ActivityKind kind)
    {
        var request = context.Request;
        // The parent is only what the request carries, never an ambient activity of this process.
        var ambient = Activity.Current;
        Activity.Current = null;
        var span = TraceHeaders.TryExtract(request.Headers, out var parent)
            ? Source.StartActivity(request.Method, kind, parent)
            : Source.StartActivity(request.Method, kind);
        Activity.Current = ambient;
        if (span is null)
        {
            return;
        }

        context.Features.Set(span);
        context.Response.RegisterForDispose(span); // ends it even if the request ends without being recorded
        if (span.IsAllDataRequested)
        {
            span.SetTag("http.request.method", request.Method);
            span.SetTag("url.path", request.Path.Value);
            span.SetTag("network.protocol.version", ProtocolVersion(request.Protocol));
            span.SetTag("weft.authority", request.Host.Value);
            if (kind == ActivityKind.Server)
            {
                span.SetTag("client.address", context.Connection.RemoteIpAddress?.ToString());
                if (context.Features.Get<PeerIdentityFeature>()?.SpiffeId is { } peer)
                {
                    span.SetTag("weft.peer.identity", peer);
                }
            }
        }
    }

    /// <summary>The request's span, if it has one.</summary>
    public static Activity? Of(HttpContext context) => Source.HasListeners() ? context.Features.Get<Activity>() : null;

    /// <summary>Puts the request's span into the trace headers of the request forwarded for it.</summary>
    public static void Inject(HttpContext context, HttpRequestHeaders forwarded)
    {
        if (Of(context) is { } span)
        {
            TraceHeaders.Inject(forwarded, span, context.Request.Headers.ContainsKey(TraceHeaders.B3));
        }
    }

    /// <summary>Names the client span after the service and route the request matched.</summary>
    public static void Route(HttpContext context, string host, string route, string source)
    {
        if (Of(context) is not { IsAllDataRequested: true } span)
        {
            return;
        }

        span.DisplayName = string.Concat(context.Request.Method, " ", host);
        span.SetTag("http.route", string.IsNullOrEmpty(route) ? source : route);
        span.SetTag("weft.route.source", source);
        span.SetTag("weft.service", host);
    }

    /// <summary>One forwarding attempt of the client span: which endpoint, and how it ended.</summary>
    public static void Attempt(HttpContext context, int attempt, EndpointState endpoint, ForwarderError error, int status, long attemptStarted)
    {
        if (Of(context) is not { IsAllDataRequested: true } span)
        {
            return;
        }

        var tags = new ActivityTagsCollection
        {
            ["weft.attempt"] = attempt,
            ["server.address"] = endpoint.Host,
            ["server.port"] = endpoint.Port,
            ["weft.upstream.workload"] = endpoint.Workload,
            ["weft.duration_ms"] = Math.Round(Stopwatch.GetElapsedTime(attemptStarted).TotalMilliseconds, 3),
        };
        if (!string.IsNullOrEmpty(endpoint.SpiffeId))
        {
            tags["weft.peer.identity"] = endpoint.SpiffeId;
        }

        if (error == ForwarderError.None)
        {
            tags["http.response.status_code"] = status;
        }
        else
        {
            tags["error.type"] = error.ToString();
        }

        span.AddEvent(new ActivityEvent("attempt", tags: tags));
        span.SetTag("server.address", endpoint.Host);
        span.SetTag("server.port", endpoint.Port);
        span.SetTag("weft.upstream.workload", endpoint.Workload);
        span.SetTag("weft.peer.identity", string.IsNullOrEmpty(endpoint.SpiffeId) ? null : endpoint.SpiffeId);
    }

    /// <summary>Ends the request's span with its outcome.</summary>
    public static void End(HttpContext context, Reporter reporter, PeerLabels destination, int status, string reason, string? upstream, int attempts,
        int grpcStatus = GrpcStatus.None)
    {
        if (Of(context) is not { } span || span.IsStopped)
        {
            return;
        }

        if (span.IsAllDataRequested)
        {
            span.SetTag("http.response.status_code", status);
            if (grpcStatus != GrpcStatus.None)
            {
                span.SetTag("rpc.grpc.status_code", grpcStatus);
            }

            if (reason != Forwarding.WeftReasons.None)
            {
                span.SetTag("weft.reason", reason);
            }

            if (reporter == Reporter.Source)
            {
                span.SetTag("weft.attempts", attempts);
            }
            else
            {
                span.DisplayName = string.Concat(context.Request.Method, " ", destination.Service);
                span.SetTag("weft.service", destination.Service);
                span.SetTag("weft.app.address", upstream);
            }

            // OpenTelemetry's HTTP conventions: a client span fails on 4xx and 5xx, a server span on 5xx.
            if (status == 0 || status >= 500 || (reporter == Reporter.Source && status >= 400))
            {
                span.SetStatus(ActivityStatusCode.Error, reason == Forwarding.WeftReasons.None ? null : reason);
            }
        }

        span.Stop();
    }

    private static string ProtocolVersion(string protocol) => protocol switch
    {
        "HTTP/2" => "2",
        "HTTP/1.1" => "1.1",
        "HTTP/1.0" => "1.0",
        "HTTP/3" => "3",
        _ => protocol,
    };
}
