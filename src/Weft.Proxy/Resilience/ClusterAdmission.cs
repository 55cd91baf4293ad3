using Weft.Protocol.V1;

namespace Weft.Proxy.Resilience;

/// <summary>
/// The connection-pool limits of one cluster, as a concurrency limit: HTTP/1.1 requests beyond
/// maxConnections may wait up to http1MaxPendingRequests; HTTP/2 requests up to http2MaxRequests.
/// Anything over is refused at once (503, x-weft-reason: overflow) and not retried, as Envoy's
/// circuit breakers do.
/// </summary>
internal sealed class ClusterAdmission(ConnectionPool pool)
{
    private readonly int _http1Limit = pool.MaxConnections == 0 ? int.MaxValue : (int)Math.Min(int.MaxValue, (long)pool.MaxConnections + pool.Http1MaxPendingRequests);
    private readonly int _http2Limit = pool.Http2MaxRequests == 0 ? int.MaxValue : (int)pool.Http2MaxRequests;
    private int _active;

    public static ClusterAdmission? Build(ConnectionPool? pool) =>
        pool is null || (pool.MaxConnections == 0 && pool.Http2MaxRequests == 0) ? null : new ClusterAdmission(pool);

    public int Active => Volatile.Read(ref _active);

    public bool TryEnter(bool http2)
    {
        var limit = http2 ? _http2Limit : _http1Limit;
        if (Interlocked.Increment(ref _active) > limit)
        {
            Interlocked.Decrement(ref _active);
            return false;
        }

        return true;
    }

    public void Exit() => Interlocked.Decrement(ref _active);
}
