using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Weft.Proxy.Telemetry.Tracing;

/// <summary>
/// The proxy's trace pipeline when an OTLP endpoint is configured: OpenTelemetry's SDK listens to
/// <see cref="ProxySpans.Source"/>, samples (parent-based: a caller's decision is kept; new traces
/// at the configured ratio) and hands finished spans to a <see cref="SpanExportQueue"/> that sends
/// them over OTLP/HTTP (protobuf). Without an endpoint nothing listens and spans are never created.
/// </summary>
internal sealed class TraceExport : IDisposable
{
    public const int QueueCapacity = 2048;
    public const int MaxBatch = 512;
    public static readonly TimeSpan ExportDelay = TimeSpan.FromSeconds(1);

    private readonly TracerProvider? _provider;

    private TraceExport(TracerProvider? provider, SpanExportQueue? queue, Uri? endpoint)
    {
        _provider = provider;
        Queue = queue;
        Endpoint = endpoint;
    }

    public static TraceExport Disabled { get; } = new(null, null, null);

    /// <summary>The queue's counters for /metrics; null when tracing is off.</summary>
    public SpanExportQueue? Queue { get; }

    /// <summary>Where spans are posted (…/v1/traces); null when tracing is off.</summary>
    public Uri? Endpoint { get; }

    /// <param name="endpoint">The collector's base URL (…/v1/traces is added when it has no path) or the full traces URL.</param>
    /// <param name="samplingPercent">Share of new traces recorded; a caller's sampling decision always wins.</param>
    public static TraceExport Start(string endpoint, double samplingPercent, string serviceName, string serviceNamespace, string instance, string? version)
    {
        var url = TracesUrl(endpoint);
        var exporterOptions = new OtlpExporterOptions
        {
            Endpoint = url,
            Protocol = OtlpExportProtocol.HttpProtobuf,
            TimeoutMilliseconds = 10_000,
            HttpClientFactory = () => new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(5) })
            {
                Timeout = TimeSpan.FromSeconds(10),
                MaxResponseContentBufferSize = 4 * 1024 * 1024,
            },
        };
        var queue = new SpanExportQueue(new OtlpTraceExporter(exporterOptions), QueueCapacity, MaxBatch, ExportDelay);
        var provider = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty()
                .AddService(serviceName, serviceNamespace, version, autoGenerateServiceInstanceId: false, serviceInstanceId: instance)
                .AddAttributes([new("k8s.namespace.name", serviceNamespace), new("telemetry.sdk.name", "opentelemetry"), new("telemetry.sdk.language", "dotnet")]))
            .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(Math.Clamp(samplingPercent / 100.0, 0, 1))))
            .AddSource(ProxySpans.SourceName)
            .AddProcessor(queue)
            .Build();
        return new TraceExport(provider, queue, url);
    }

    /// <summary>A base URL gets the OTLP/HTTP traces path, as OTEL_EXPORTER_OTLP_ENDPOINT does; a URL with a path is used as given.</summary>
    public static Uri TracesUrl(string endpoint)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"--otlp-endpoint: '{endpoint}' is not an http(s) URL");
        }

        return uri.AbsolutePath is "/" or "" ? new Uri(uri, "/v1/traces") : uri;
    }

    /// <summary>Sends what is queued (bounded wait), then stops.</summary>
    public void Dispose()
    {
        _provider?.ForceFlush(5_000);
        _provider?.Dispose();
    }
}
