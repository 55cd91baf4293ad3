using System.Collections.Concurrent;

namespace Weft.Proxy.Telemetry;

/// <summary>The proxy's own health and resilience counters.</summary>
internal sealed class ProxyCounters
{
    private readonly ConcurrentDictionary<string, StrongBox> _retries = new(StringComparer.Ordinal);

    public string? ConfigVersion { get; private set; }
    public DateTime? CertificateExpiry { get; private set; }

    public void RecordRetry(string cluster)
    {
        if (!_retries.TryGetValue(cluster, out var box))
        {
            box = _retries.GetOrAdd(cluster, static _ => new StrongBox());
        }

        Interlocked.Increment(ref box.Value);
    }

    public IEnumerable<(string Cluster, long Count)> Retries => _retries.Select(r => (r.Key, Interlocked.Read(ref r.Value.Value)));

    public void SetConfigVersion(string? version) => ConfigVersion = version;

    public void SetCertificateExpiry(DateTime? notAfter) => CertificateExpiry = notAfter;

    internal sealed class StrongBox
    {
        public long Value;
    }
}
