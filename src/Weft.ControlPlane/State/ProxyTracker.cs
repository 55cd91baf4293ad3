using System.Collections.Concurrent;

namespace Weft.ControlPlane.State;

/// <summary>What the control plane knows about one proxy: its stream, its ACKs and its certificate.</summary>
public sealed class ProxyStatus
{
    public required string Key { get; init; }
    public bool Connected { get; set; }
    public string? AdminAddress { get; set; }
    public string? ProxyVersion { get; set; }
    public string? AckedVersion { get; set; }
    public string? SentVersion { get; set; }
    public string? LastNack { get; set; }
    public DateTimeOffset? ConnectedAt { get; set; }
    public DateTimeOffset? DisconnectedAt { get; set; }
    public DateTimeOffset? CertificateExpiry { get; set; }
    public DateTimeOffset? CertificateIssuedAt { get; set; }
    /// <summary>The subject of the root that signed its current certificate.</summary>
    public string? CertificateIssuer { get; set; }
    public string? Identity { get; set; }
}

/// <summary>The live state of every proxy that has talked to this control plane.</summary>
public sealed class ProxyTracker
{
    private readonly ConcurrentDictionary<string, ProxyStatus> _proxies = new(StringComparer.Ordinal);

    public ProxyStatus Get(string key) => _proxies.GetOrAdd(key, k => new ProxyStatus { Key = k });

    public ProxyStatus? Find(string key) => _proxies.GetValueOrDefault(key);

    public IReadOnlyCollection<ProxyStatus> All => (IReadOnlyCollection<ProxyStatus>)_proxies.Values;
}
