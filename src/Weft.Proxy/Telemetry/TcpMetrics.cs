using System.Collections.Concurrent;

namespace Weft.Proxy.Telemetry;

/// <summary>
/// Istio's TCP metrics for connections the proxy relays without parsing (CONNECT tunnels
/// outbound, opaque TCP inbound): istio_tcp_connections_opened_total / _closed_total and
/// istio_tcp_received_bytes_total (client → server) / istio_tcp_sent_bytes_total (server →
/// client), with the labels of the HTTP metrics (the server side learns the client's from
/// <see cref="TcpPeerMetadata"/>). Bytes are counted as they are relayed, so a long-lived
/// connection shows up before it closes.
/// </summary>
internal sealed class TcpMetrics
{
    private readonly ConcurrentDictionary<TcpSeriesKey, TcpSeries> _series = new();

    /// <summary>Counts a connection opened; the series it returns counts its bytes and its close.</summary>
    public TcpSeries Open(Reporter reporter, PeerLabels source, PeerLabels destination, ConnectionSecurity security, string flags = Forwarding.WeftReasons.None)
    {
        var key = new TcpSeriesKey(reporter, source, destination, flags, security);
        if (!_series.TryGetValue(key, out var series))
        {
            series = _series.GetOrAdd(key, static k => new TcpSeries(k));
        }

        series.Opened();
        return series;
    }

    /// <summary>A connection refused before any byte was relayed: opened and closed at once.</summary>
    public void Refused(Reporter reporter, PeerLabels source, PeerLabels destination, ConnectionSecurity security, string flags) =>
        Open(reporter, source, destination, security, flags).Closed();

    public IEnumerable<TcpSeries> Series => _series.Values;

    internal readonly record struct TcpSeriesKey(Reporter Reporter, PeerLabels Source, PeerLabels Destination, string Flags, ConnectionSecurity Security);
}

/// <summary>The counters of one TCP label set.</summary>
internal sealed class TcpSeries(TcpMetrics.TcpSeriesKey key)
{
    private long _opened;
    private long _closed;
    private long _received;
    private long _sent;

    public TcpMetrics.TcpSeriesKey Key { get; } = key;
    public long ConnectionsOpened => Interlocked.Read(ref _opened);
    public long ConnectionsClosed => Interlocked.Read(ref _closed);

    /// <summary>Bytes from the client towards the server.</summary>
    public long ReceivedBytes => Interlocked.Read(ref _received);

    /// <summary>Bytes from the server back to the client.</summary>
    public long SentBytes => Interlocked.Read(ref _sent);

    public void Opened() => Interlocked.Increment(ref _opened);

    public void Closed() => Interlocked.Increment(ref _closed);

    public void AddReceived(int bytes) => Interlocked.Add(ref _received, bytes);

    public void AddSent(int bytes) => Interlocked.Add(ref _sent, bytes);
}
