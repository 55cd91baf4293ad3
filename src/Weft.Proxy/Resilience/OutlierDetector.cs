using Weft.Protocol.V1;
using Weft.Proxy.LoadBalancing;

namespace Weft.Proxy.Resilience;

/// <summary>
/// Istio's outlier detection (Envoy's consecutive-errors ejection) for one cluster: an endpoint
/// that fails consecutive5xxErrors (or consecutiveGatewayErrors) times in a row is taken out of
/// load balancing for baseEjectionTime × the number of times it was ejected, unless that would
/// eject more than maxEjectionPercent of the cluster (one endpoint may always be ejected, as in
/// Envoy). Connection failures, resets and timeouts count as 5xx and as gateway errors.
/// </summary>
internal sealed class OutlierDetector
{
    private readonly EndpointState[] _all;
    private readonly OutlierState[] _states;
    private readonly TimeProvider _time;
    private readonly int _consecutive5xx;
    private readonly int _consecutiveGateway;
    private readonly TimeSpan _baseEjection;
    private readonly int _maxEjected;
    private readonly Lock _gate = new();
    private volatile EndpointState[] _available;
    private long _nextReturn = long.MaxValue;

    /// <param name="previous">The same cluster's detector in the config this one replaces: endpoints both
    /// have keep their error counts and ejections.</param>
    public OutlierDetector(OutlierDetection config, EndpointState[] endpoints, TimeProvider time, OutlierDetector? previous = null)
    {
        _all = endpoints;
        _available = endpoints;
        _states = new OutlierState[endpoints.Length];
        for (var i = 0; i < _states.Length; i++)
        {
            var carried = previous is null ? -1 : Array.IndexOf(previous._all, endpoints[i]);
            _states[i] = carried >= 0 ? previous!._states[carried] : new OutlierState();
        }

        _time = time;
        _consecutive5xx = (int)config.Consecutive5XxErrors;
        _consecutiveGateway = (int)config.ConsecutiveGatewayErrors;
        _baseEjection = config.BaseEjectionTime?.ToTimeSpan() ?? TimeSpan.FromSeconds(30);
        _maxEjected = Math.Max(1, endpoints.Length * (int)config.MaxEjectionPercent / 100);
        if (previous is not null)
        {
            Rebuild(time.GetTimestamp());
        }
    }

    /// <summary>The endpoints in load balancing now (empty when all are ejected).</summary>
    public EndpointState[] Available()
    {
        if (Volatile.Read(ref _nextReturn) <= _time.GetTimestamp())
        {
            lock (_gate)
            {
                Rebuild(_time.GetTimestamp());
            }
        }

        return _available;
    }

    /// <summary>The outcome of one attempt: a status code, or null when the attempt failed without a response.</summary>
    public void Report(EndpointState endpoint, int? status)
    {
        var index = Array.IndexOf(_all, endpoint);
        if (index < 0)
        {
            return;
        }

        var state = _states[index];
        var failed = status is null or >= 500;
        if (!failed)
        {
            Interlocked.Exchange(ref state.Consecutive5xx, 0);
            Interlocked.Exchange(ref state.ConsecutiveGateway, 0);
            return;
        }

        var errors = Interlocked.Increment(ref state.Consecutive5xx);
        var gatewayErrors = status is null or 502 or 503 or 504 ? Interlocked.Increment(ref state.ConsecutiveGateway) : Interlocked.Exchange(ref state.ConsecutiveGateway, 0) * 0;
        if ((_consecutive5xx > 0 && errors >= _consecutive5xx) || (_consecutiveGateway > 0 && gatewayErrors >= _consecutiveGateway))
        {
            TryEject(index);
        }
    }

    /// <summary>Whether an endpoint is ejected now (for proxy-config and tests).</summary>
    public bool IsEjected(EndpointState endpoint)
    {
        var index = Array.IndexOf(_all, endpoint);
        return index >= 0 && Volatile.Read(ref _states[index].EjectedUntil) > _time.GetTimestamp();
    }

    private void TryEject(int index)
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            var state = _states[index];
            if (state.EjectedUntil > now)
            {
                return;
            }

            var ejected = 0;
            foreach (var other in _states)
            {
                ejected += other.EjectedUntil > now ? 1 : 0;
            }

            if (ejected >= _maxEjected)
            {
                return;
            }

            state.Ejections++;
            state.EjectedUntil = now + (long)(_baseEjection.TotalSeconds * state.Ejections * _time.TimestampFrequency);
            state.Consecutive5xx = 0;
            state.ConsecutiveGateway = 0;
            Rebuild(now);
        }
    }

    private void Rebuild(long now)
    {
        var available = new List<EndpointState>(_all.Length);
        var nextReturn = long.MaxValue;
        for (var i = 0; i < _all.Length; i++)
        {
            if (_states[i].EjectedUntil > now)
            {
                nextReturn = Math.Min(nextReturn, _states[i].EjectedUntil);
            }
            else
            {
                available.Add(_all[i]);
            }
        }

        _available = available.Count == _all.Length ? _all : [.. available];
        Volatile.Write(ref _nextReturn, nextReturn);
    }

    private sealed class OutlierState
    {
        public int Consecutive5xx;
        public int ConsecutiveGateway;
        public long EjectedUntil;
        public int Ejections;
    }
}
