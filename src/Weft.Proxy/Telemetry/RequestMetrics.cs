using System.Collections.Concurrent;

namespace Weft.Proxy.Telemetry;

/// <summary>
/// Istio's standard request metrics (istio_requests_total and the duration/size histograms).
/// A series is keyed by references to pre-bound label objects, so a request only bumps counters.
/// </summary>
internal sealed class RequestMetrics
{
    /// <summary>Istio's default duration buckets, in milliseconds.</summary>
    public static readonly double[] DurationBuckets = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

    private readonly ConcurrentDictionary<SeriesKey, RequestSeries> _series = new();

    public void Record(Reporter reporter, PeerLabels source, PeerLabels destination, int responseCode, string responseFlags,
        ConnectionSecurity security, double durationMs, long requestBytes, long responseBytes, int grpcStatus = GrpcStatus.None)
    {
        var key = new SeriesKey(reporter, source, destination, responseCode, responseFlags, security, grpcStatus);
        if (!_series.TryGetValue(key, out var series))
        {
            series = _series.GetOrAdd(key, static k => new RequestSeries(k));
        }

        series.Record(durationMs);
    }

    public IEnumerable<RequestSeries> Series => _series.Values;

    internal readonly record struct SeriesKey(Reporter Reporter, PeerLabels Source, PeerLabels Destination, int Code, string Flags, ConnectionSecurity Security, int GrpcStatus);
}

internal sealed class RequestSeries(RequestMetrics.SeriesKey key)
{
    private readonly long[] _buckets = new long[RequestMetrics.DurationBuckets.Length];
    private long _count;
    private long _sumMicros;

    public RequestMetrics.SeriesKey Key { get; } = key;
    public long Count => Interlocked.Read(ref _count);
    public double SumMs => Interlocked.Read(ref _sumMicros) / 1000.0;

    /// <summary>Non-cumulative bucket counts; the exposition makes them cumulative.</summary>
    public long Bucket(int index) => Interlocked.Read(ref _buckets[index]);

    public void Record(double durationMs)
    {
        var bounds = RequestMetrics.DurationBuckets;
        for (var i = 0; i < bounds.Length; i++)
        {
            if (durationMs <= bounds[i])
            {
                Interlocked.Increment(ref _buckets[i]);
                break;
            }
        }

        Interlocked.Add(ref _sumMicros, (long)(durationMs * 1000));
        Interlocked.Increment(ref _count);
    }
}
