using System.Globalization;
using Endpoint = Weft.Protocol.V1.Endpoint;

namespace Weft.Proxy.LoadBalancing;

/// <summary>
/// One endpoint of a cluster: its identity, the destination prefix handed to YARP's IHttpForwarder,
/// and the live load signals the least-request balancer reads (outstanding requests and a peak-EWMA
/// of response latency).
/// </summary>
/// <remarks>
/// Peak-EWMA as in Linkerd/tower: a sample above the current estimate replaces it at once (peak);
/// a lower sample is blended in with weight 1 − e^(−Δt/τ), Δt being the time since the last update
/// and τ = <see cref="DecayTime"/> (10 s). When read, the estimate is decayed toward zero by the time
/// elapsed since the last update (tower's "update with rtt = 0"), so an endpoint that was slow and
/// then left alone is eventually tried again. Endpoints start at <see cref="DefaultLatencyMs"/>.
/// A new config snapshot keeps the state of an endpoint it still has unchanged (see
/// <see cref="Routing.CompiledCluster.Build(Weft.Protocol.V1.Cluster, TimeProvider, Routing.CompiledCluster?)"/>),
/// so a config push does not make the balancer forget what it learned.
/// </remarks>
internal sealed class EndpointState
{
    public static readonly TimeSpan DecayTime = TimeSpan.FromSeconds(10);
    public const double DefaultLatencyMs = 30;

    // Keeps an idle (fully decayed) endpoint's cost proportional to its outstanding requests.
    private const double MinimumLatencyMs = 0.001;

    private readonly TimeProvider _timeProvider;
    private readonly Lock _latencyLock = new();
    private double _ewmaMs;
    private long _updatedAt;
    private int _outstanding;

    public EndpointState(Endpoint endpoint, string serviceFqdn, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(timeProvider);

        Source = endpoint;
        Address = endpoint.Address;
        (Host, Port) = ParseAddress(endpoint.Address);
        Workload = endpoint.Workload;
        Namespace = endpoint.Namespace;
        SpiffeId = endpoint.SpiffeId;
        CanonicalService = endpoint.CanonicalService;
        CanonicalRevision = endpoint.CanonicalRevision;
        // Always http: the mesh client's connect callback originates mTLS itself (per endpoint identity).
        DestinationPrefix = "http://" + endpoint.Address + "/";
        AddressHash = ConsistentHashBalancer.HashOf(endpoint.Address);
        Labels = new Telemetry.PeerLabels(endpoint.Workload, endpoint.Namespace, string.IsNullOrEmpty(endpoint.SpiffeId) ? "unknown" : endpoint.SpiffeId,
            endpoint.CanonicalService, endpoint.CanonicalRevision, serviceFqdn);

        _timeProvider = timeProvider;
        _ewmaMs = DefaultLatencyMs;
        _updatedAt = timeProvider.GetTimestamp();
    }

    /// <summary>The endpoint as the control plane sent it.</summary>
    public Endpoint Source { get; }

    /// <summary>A stable hash of the address, for consistent hashing.</summary>
    public ulong AddressHash { get; }

    /// <summary>This endpoint as the destination of a request, for telemetry.</summary>
    public Telemetry.PeerLabels Labels { get; }

    /// <summary>"127.0.0.1:40123" as sent by the control plane.</summary>
    public string Address { get; }

    /// <summary>The host part of <see cref="Address"/>, without IPv6 brackets.</summary>
    public string Host { get; }

    public int Port { get; }

    public string Workload { get; }

    public string Namespace { get; }

    /// <summary>The identity the endpoint must present; empty when it has no sidecar.</summary>
    public string SpiffeId { get; }

    public string CanonicalService { get; }

    public string CanonicalRevision { get; }

    /// <summary>
    /// The destination prefix for IHttpForwarder, e.g. "http://127.0.0.1:40123/"; "https://" when the
    /// cluster originates mTLS, so the HTTP client's TLS settings (client certificate, SAN check) apply.
    /// </summary>
    public string DestinationPrefix { get; }

    /// <summary>Requests sent to this endpoint that have not completed yet.</summary>
    public int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>The stored peak-EWMA latency (ms), as of the last <see cref="RecordLatency"/>.</summary>
    public double EwmaLatencyMs => Volatile.Read(ref _ewmaMs);

    public void IncrementOutstanding() => Interlocked.Increment(ref _outstanding);

    public void DecrementOutstanding() => Interlocked.Decrement(ref _outstanding);

    /// <summary>Feeds one observed response latency into the peak-EWMA.</summary>
    public void RecordLatency(TimeSpan latency)
    {
        var sampleMs = Math.Max(latency.TotalMilliseconds, 0);
        var now = _timeProvider.GetTimestamp();
        lock (_latencyLock)
        {
            var current = _ewmaMs;
            if (sampleMs > current)
            {
                _ewmaMs = sampleMs;
            }
            else
            {
                var decay = Decay(_timeProvider.GetElapsedTime(_updatedAt, now));
                _ewmaMs = (current * decay) + (sampleMs * (1 - decay));
            }

            _updatedAt = now;
        }
    }

    /// <summary>The peak-EWMA latency (ms) decayed toward zero by the time since its last update.</summary>
    public double CurrentLatencyMs()
    {
        var elapsed = _timeProvider.GetElapsedTime(Volatile.Read(ref _updatedAt));
        return Volatile.Read(ref _ewmaMs) * Decay(elapsed);
    }

    /// <summary>Linkerd's load cost: (outstanding + 1) × latency estimate.</summary>
    public double Cost() => (Outstanding + 1) * Math.Max(CurrentLatencyMs(), MinimumLatencyMs);

    private static double Decay(TimeSpan elapsed) =>
        elapsed <= TimeSpan.Zero ? 1 : Math.Exp(-elapsed.TotalMilliseconds / DecayTime.TotalMilliseconds);

    private static (string Host, int Port) ParseAddress(string address)
    {
        ReadOnlySpan<char> host;
        ReadOnlySpan<char> port;
        if (address.StartsWith('['))
        {
            var close = address.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= address.Length || address[close + 1] != ':')
            {
                throw new ProxyConfigException($"Endpoint address '{address}' is not host:port.");
            }

            host = address.AsSpan(1, close - 1);
            port = address.AsSpan(close + 2);
        }
        else
        {
            var colon = address.LastIndexOf(':');
            if (colon <= 0)
            {
                throw new ProxyConfigException($"Endpoint address '{address}' is not host:port.");
            }

            host = address.AsSpan(0, colon);
            port = address.AsSpan(colon + 1);
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var portNumber)
            || portNumber is < 1 or > 65535)
        {
            throw new ProxyConfigException($"Endpoint address '{address}' has an invalid port.");
        }

        return (host.ToString(), portNumber);
    }
}
