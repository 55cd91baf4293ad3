using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Weft.Proxy.Telemetry;

/// <summary>
/// What both sides of the proxy do when a request ends: count it in Istio's metrics, hand it to the
/// tap (see <see cref="RequestTap"/>) and, when the access log is on, enqueue one line for it.
/// </summary>
internal sealed class RequestRecorder(RequestMetrics metrics, AccessLog? accessLog, RequestTap tap, TimeProvider time) : IAsyncDisposable
{
    public void Record(HttpContext context, Reporter reporter, PeerLabels source, PeerLabels destination, int status, string reason,
        ConnectionSecurity security, long started, string? upstream = null, int attempts = 1)
    {
        var durationMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var request = context.Request;
        var requestBytes = request.ContentLength ?? -1;
        var responseBytes = context.Response.ContentLength ?? -1;
        metrics.Record(reporter, source, destination, status, reason, security, durationMs, requestBytes, responseBytes, GrpcStatus.Of(context.Response));
        tap.Add(new TapEntry(time.GetUtcNow(), reporter, request.Method, request.Host.Value ?? "", request.Path.Value ?? "/", status, reason, durationMs,
            source.Workload, source.Namespace, source.Principal, destination.Workload, destination.Namespace, destination.Principal, upstream));
        accessLog?.Write(new AccessLogEntry(
            time.GetUtcNow(),
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
            attempts,
            requestBytes,
            responseBytes));
    }

    public ValueTask DisposeAsync() => accessLog?.DisposeAsync() ?? ValueTask.CompletedTask;
}
