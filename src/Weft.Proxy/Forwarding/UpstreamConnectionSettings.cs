using Weft.Protocol.V1;

namespace Weft.Proxy.Forwarding;

/// <summary>
/// How a cluster's upstream connections are opened and pooled (Istio's connectionPool
/// connectTimeout, idleTimeout, maxRequestsPerConnection, maxConnectionDuration). Clusters with
/// equal settings share one connection pool.
/// </summary>
internal readonly record struct UpstreamConnectionSettings(TimeSpan ConnectTimeout, TimeSpan IdleTimeout, TimeSpan Lifetime)
{
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromHours(1);

    public static UpstreamConnectionSettings Default { get; } = new(DefaultConnectTimeout, DefaultIdleTimeout, Timeout.InfiniteTimeSpan);

    /// <summary>Keep-alive is off: every request gets its own connection.</summary>
    public bool SingleRequest => Lifetime == TimeSpan.Zero;

    public static UpstreamConnectionSettings From(ConnectionPool? pool)
    {
        if (pool is null)
        {
            return Default;
        }

        var lifetime = pool.MaxRequestsPerConnection == 1
            ? TimeSpan.Zero // SocketsHttpHandler never reuses a connection whose lifetime is zero
            : pool.MaxConnectionDuration is { } duration && duration.ToTimeSpan() > TimeSpan.Zero ? duration.ToTimeSpan() : Timeout.InfiniteTimeSpan;
        return new UpstreamConnectionSettings(
            Positive(pool.ConnectTimeout) ?? DefaultConnectTimeout,
            Positive(pool.IdleTimeout) ?? DefaultIdleTimeout,
            lifetime);
    }

    private static TimeSpan? Positive(Google.Protobuf.WellKnownTypes.Duration? duration) =>
        duration?.ToTimeSpan() is { } value && value > TimeSpan.Zero ? value : null;
}
