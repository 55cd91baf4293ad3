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
        var request = context.Request;
        var span = ProxySpans.Of(context);
        var grpcStatus = GrpcStatus.Of(context.Response);
        var facts = new RequestFacts(request.Method, request.Host.Value ?? "", request.Path.Value ?? "/", request.Protocol,
            request.Headers.TraceParent is { Count: 1 } traceParent ? traceParent[0] : null,
            span is null && request.Headers.TryGetValue(TraceHeaders.B3TraceId, out var b3) && b3.Count == 1 ? b3[0] : null,
            RequestBodyCounter.BytesOf(context), ResponseBodyCounter.BytesOf(context), grpcStatus);
        ProxySpans.End(context, reporter, destination, status, reason, upstream, attempts, grpcStatus);
        Record(in facts, reporter, source, destination, status, reason, security, started, upstream, attempts, span);
    }

    /// <summary>Records a request the HTTP/1.1 engine carried (no HttpContext; tracing is off on that path).</summary>
    public void Record(in RequestFacts request, Reporter reporter, PeerLabels source, PeerLabels destination, int status, string reason,
        ConnectionSecurity security, long started, string? upstream = null, int attempts = 1, Activity? span = null)
    {
        var durationMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        metrics.Record(reporter, source, destination, status, reason, security, durationMs, request.RequestBytes, request.ResponseBytes, request.GrpcStatus);
        var now = time.GetUtcNow();
        tap.Add(new TapEntry(now, reporter, request.Method, request.Authority, request.Path, status, reason, durationMs,
            source.Workload, source.Namespace, source.Principal, destination.Workload, destination.Namespace, destination.Principal, upstream));
        accessLog?.Write(new AccessLogEntry(
            now,
            reporter,
            request.Method,
            request.Authority,
            request.Path,
            request.Protocol,
            status,
            reason,
            durationMs,
            upstream,
            source.Principal,
            destination.Principal,
            request.TraceParent,
            span?.TraceId ?? default,
            span?.SpanId ?? default,
            request.B3TraceId,
            attempts,
            request.RequestBytes,
            request.ResponseBytes));
    }

    public ValueTask DisposeAsync() => accessLog?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>What telemetry records of a request, whichever path carried it.</summary>
internal readonly record struct RequestFacts(
    string Method,
    string Authority,
    string Path,
    string Protocol,
    string? TraceParent,
    string? B3TraceId,
    long RequestBytes,
    long ResponseBytes,
    int GrpcStatus = Telemetry.GrpcStatus.None);
