using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Weft.Proxy.Telemetry.Tracing;

namespace Weft.Proxy.Telemetry;

/// <summary>
/// What both sides of the proxy do for every request: <see cref="Begin"/> when it arrives (body
/// byte counters, and the request's span when tracing is on) and <see cref="Record"/> when it ends
/// (Istio's metrics, the span's outcome, the tap — see <see cref="RequestTap"/> — and, when the
/// access log is on, one line for it).
/// </summary>
internal sealed class RequestRecorder(RequestMetrics metrics, AccessLog? accessLog, RequestTap tap, TimeProvider time) : IAsyncDisposable
{
    /// <summary>The access log's counter of lines dropped because its writer fell behind; null when it is off.</summary>
    public AccessLog? AccessLog => accessLog;

    /// <summary>
    /// Starts measuring a request: counts its body bytes (chunked bodies included) and, when
    /// tracing is on, starts its span — a client span outbound (<see cref="Reporter.Source"/>),
    /// a server span inbound.
    /// </summary>
    public void Begin(HttpContext context, Reporter reporter)
    {
        RequestBodyCounter.Install(context);
        ResponseBodyCounter.Install(context);
        ProxySpans.Start(context, reporter == Reporter.Source ? ActivityKind.Client : ActivityKind.Server);
    }

    public void Record(HttpContext context, Reporter reporter, PeerLabels source, PeerLabels destination, int status, string reason,
        ConnectionSecurity security, long started, string? upstream = null, int attempts = 1)
    {
        var durationMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var request = context.Request;
        var requestBytes = RequestBodyCounter.BytesOf(context);
        var responseBytes = ResponseBodyCounter.BytesOf(context);
        var grpcStatus = GrpcStatus.Of(context.Response);
        metrics.Record(reporter, source, destination, status, reason, security, durationMs, requestBytes, responseBytes, grpcStatus);
        var span = ProxySpans.Of(context);
        ProxySpans.End(context, reporter, destination, status, reason, upstream, attempts, grpcStatus);
        var now = time.GetUtcNow();
        tap.Add(new TapEntry(now, reporter, request.Method, request.Host.Value ?? "", request.Path.Value ?? "/", status, reason, durationMs,
            source.Workload, source.Namespace, source.Principal, destination.Workload, destination.Namespace, destination.Principal, upstream));
        accessLog?.Write(new AccessLogEntry(
            now,
            reporter,
            request.Method,
            request.Host.Value ?? "",
            request.Path.Value ?? "/",
            request.Protocol,
            status,
            reason,
            durationMs,
            upstream,
            source.Principal,
            destination.Principal,
            request.Headers.TraceParent is { Count: 1 } traceParent ? traceParent[0] : null,
            span?.TraceId ?? default,
            span?.SpanId ?? default,
            span is null && request.Headers.TryGetValue(TraceHeaders.B3TraceId, out var b3) && b3.Count == 1 ? b3[0] : null,
            attempts,
            requestBytes,
            responseBytes));
    }

    public ValueTask DisposeAsync() => accessLog?.DisposeAsync() ?? ValueTask.CompletedTask;
}
