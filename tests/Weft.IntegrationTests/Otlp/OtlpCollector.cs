using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Weft.IntegrationTests.Otlp.Collector;
using Weft.IntegrationTests.Otlp.Common;
using OtlpSpan = Weft.IntegrationTests.Otlp.Trace.Span;

namespace Weft.IntegrationTests.Otlp;

/// <summary>
/// A small OTLP/HTTP trace collector on 127.0.0.1: accepts protobuf ExportTraceServiceRequests on
/// /v1/traces, as a real collector does, and keeps every span with its service for the tests.
/// </summary>
public sealed class OtlpCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private long _requests;

    private OtlpCollector(WebApplication app) => _app = app;

    public string Endpoint { get; private set; } = "";

    public long Requests => Interlocked.Read(ref _requests);

    public IReadOnlyList<ReceivedSpan> Spans => _spans.ToArray();

    public static async Task<OtlpCollector> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http1AndHttp2));
        var app = builder.Build();
        var collector = new OtlpCollector(app);
        app.MapPost("/v1/traces", collector.ReceiveAsync);
        await app.StartAsync();
        var address = app.Urls.Single();
        collector.Endpoint = address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal);
        return collector;
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        if (context.Request.ContentType != "application/x-protobuf")
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var request = ExportTraceServiceRequest.Parser.ParseFrom(body.ToArray());
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var service = Attribute(resourceSpans.Resource?.Attributes, "service.name") ?? "";
            foreach (var scope in resourceSpans.ScopeSpans)
            {
                foreach (var span in scope.Spans)
                {
                    _spans.Enqueue(new ReceivedSpan(service, scope.Scope?.Name ?? "", span));
                }
            }
        }

        Interlocked.Increment(ref _requests);
        context.Response.ContentType = "application/x-protobuf";
        await context.Response.Body.WriteAsync(new ExportTraceServiceResponse().ToByteArray(), context.RequestAborted);
    }

    internal static string? Attribute(IEnumerable<KeyValue>? attributes, string key) =>
        attributes?.FirstOrDefault(a => a.Key == key)?.Value is { } value ? ValueText(value) : null;

    private static string ValueText(AnyValue value) => value.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One span as the collector received it, with hex ids as they appear in traceparent.</summary>
public sealed record ReceivedSpan(string Service, string Scope, OtlpSpan Span)
{
    public string TraceId => Convert.ToHexStringLower(Span.TraceId.Span);
    public string SpanId => Convert.ToHexStringLower(Span.SpanId.Span);
    public string ParentSpanId => Convert.ToHexStringLower(Span.ParentSpanId.Span);
    public string? this[string attribute] => OtlpCollector.Attribute(Span.Attributes, attribute);
    public IEnumerable<OtlpSpan.Types.Event> Events(string name) => Span.Events.Where(e => e.Name == name);
    public override string ToString() => $"{Service} {Span.Kind} '{Span.Name}' trace={TraceId} span={SpanId} parent={ParentSpanId} status={this["http.response.status_code"]}";
}
