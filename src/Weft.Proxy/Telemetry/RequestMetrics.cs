using System.Collections.Concurrent;

namespace Weft.Proxy.Telemetry;

/// <summary>
/// Istio's standard request metrics: istio_requests_total and the duration and size histograms
/// (istio_request_duration_milliseconds, istio_request_bytes, istio_response_bytes).
/// A series is keyed by references to pre-bound label objects, so a request only bumps counters.
/// </summary>
internal sealed class RequestMetrics
{
    /// <summary>Istio's default duration buckets, in milliseconds.</summary>
    public static readonly double[] DurationBuckets = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

    /// <summary>Istio's size buckets, in bytes: 1 to 10^7 by powers of ten.</summary>
    public static readonly double[] SizeBuckets = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000];

    private readonly ConcurrentDictionary<SeriesKey, RequestSeries> _series = new();

    public void Record(Reporter reporter, PeerLabels source, PeerLabels destination, int responseCode, string responseFlags,
        ConnectionSecurity security, double durationMs, long requestBytes, long responseBytes, int grpcStatus = GrpcStatus.None)
    {
        var key = new SeriesKey(reporter, source, destination, responseCode, responseFlags, security, grpcStatus);
        if (!_series.TryGetValue(key, out var series))
        {
            series = _series.GetOrAdd(key, static k => new RequestSeries(k));
        }

        series.Record(durationMs, requestBytes, responseBytes);
    }

    public IEnumerable<RequestSeries> Series => _series.Values;

    internal readonly record struct SeriesKey(Reporter Reporter, PeerLabels Source, PeerLabels Destination, int Code, string Flags, ConnectionSecurity Security, int GrpcStatus);
}

internal sealed class RequestSeries(RequestMetrics.SeriesKey key)
{
    private readonly long[] _buckets = new long[RequestMetrics.DurationBuckets.Length];
    private readonly long[] _requestSizeBuckets = new long[RequestMetrics.SizeBuckets.Length];
    private readonly long[] _responseSizeBuckets = new long[RequestMetrics.SizeBuckets.Length];
    private long _count;
    private long _sumMicros;
    private long _requestBytes;
    private long _responseBytes;

    public RequestMetrics.SeriesKey Key { get; } = key;
    public long Count => Interlocked.Read(ref _count);
    public double SumMs => Interlocked.Read(ref _sumMicros) / 1000.0;

    /// <summary>Non-cumulative bucket counts; the exposition makes them cumulative.</summary>
    public long Bucket(int index) => Interlocked.Read(ref _buckets[index]);

    /// <summary>Non-cumulative counts of request body sizes per <see cref="RequestMetrics.SizeBuckets"/> bound.</summary>
    public long RequestSizeBucket(int index) => Interlocked.Read(ref _requestSizeBuckets[index]);

    public long ResponseSizeBucket(int index) => Interlocked.Read(ref _responseSizeBuckets[index]);

    public long RequestBytes => Interlocked.Read(ref _requestBytes);

    public long ResponseBytes => Interlocked.Read(ref _responseBytes);

    public void Record(double durationMs, long requestBytes = 0, long responseBytes = 0)
    {
        Observe(_buckets, RequestMetrics.DurationBuckets, durationMs);
        Observe(_requestSizeBuckets, RequestMetrics.SizeBuckets, Math.Max(0, requestBytes));
        Observe(_responseSizeBuckets, RequestMetrics.SizeBuckets, Math.Max(0, responseBytes));
        Interlocked.Add(ref _sumMicros, (long)(durationMs * 1000));
        Interlocked.Add(ref _requestBytes, Math.Max(0, requestBytes));
        Interlocked.Add(ref _responseBytes, Math.Max(0, responseBytes));
        Interlocked.Increment(ref _count);
    }

    private static void Observe(long[] buckets, double[] bounds, double value)
    {
        for (var i = 0; i < bounds.Length; i++)
        {
            if (value <= bounds[i])
            {
                Interlocked.Increment(ref buckets[i]);
                return;
            }
        }
    }
}
