using System.Collections.Concurrent;

namespace Weft.Proxy.Telemetry;

/// <summary>The proxy's own health and resilience counters.</summary>
internal sealed class ProxyCounters
{
    private readonly ConcurrentDictionary<string, StrongBox> _retries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox> _denials = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox> _audits = new(StringComparer.Ordinal);

    private int _inboundConnections;
    private int _outboundConnections;

    public string? ConfigVersion { get; private set; }
    public DateTime? CertificateExpiry { get; private set; }

    /// <summary>Connections open now on the workload-port listeners (inbound) and the app's listener (outbound).</summary>
    public (int Inbound, int Outbound) ActiveConnections => (Volatile.Read(ref _inboundConnections), Volatile.Read(ref _outboundConnections));

    /// <summary>Endpoints outlier detection has taken out, per cluster, as of the last <see cref="SetEjected"/>.</summary>
    public IReadOnlyList<(string Cluster, int Ejected)> Ejected { get; private set; } = [];

    public void SetEjected(IReadOnlyList<(string Cluster, int Ejected)> ejected) => Ejected = ejected;

    /// <summary>A connection middleware that keeps <see cref="ActiveConnections"/>.</summary>
    public Func<Microsoft.AspNetCore.Connections.ConnectionDelegate, Microsoft.AspNetCore.Connections.ConnectionDelegate> CountConnections(bool inbound) =>
        next => async connection =>
        {
            Interlocked.Increment(ref inbound ? ref _inboundConnections : ref _outboundConnections);
            try
            {
                await next(connection);
            }
            finally
            {
                Interlocked.Decrement(ref inbound ? ref _inboundConnections : ref _outboundConnections);
            }
        };

    public void RecordRetry(string cluster) => Increment(_retries, cluster);

    /// <summary>A request or connection denied by the AuthorizationPolicy <paramref name="policy"/> (namespace/name).</summary>
    public void RecordDenial(string policy) => Increment(_denials, policy);

    /// <summary>A request an AUDIT policy matched (it was not blocked).</summary>
    public void RecordAudit(string policy) => Increment(_audits, policy);

    public IEnumerable<(string Cluster, long Count)> Retries => Read(_retries);

    public IEnumerable<(string Policy, long Count)> Denials => Read(_denials);

    public IEnumerable<(string Policy, long Count)> Audits => Read(_audits);

    private static void Increment(ConcurrentDictionary<string, StrongBox> counters, string key)
    {
        if (!counters.TryGetValue(key, out var box))
        {
            box = counters.GetOrAdd(key, static _ => new StrongBox());
        }

        Interlocked.Increment(ref box.Value);
    }

    private static IEnumerable<(string, long)> Read(ConcurrentDictionary<string, StrongBox> counters) =>
        counters.Select(c => (c.Key, Interlocked.Read(ref c.Value.Value)));

    public void SetConfigVersion(string? version) => ConfigVersion = version;

    public void SetCertificateExpiry(DateTime? notAfter) => CertificateExpiry = notAfter;

    internal sealed class StrongBox
    {
        public long Value;
    }
}
