using System.Collections.Concurrent;
using Weft.Protocol.V1;
using Weft.Proxy.Telemetry;

namespace Weft.Proxy.Configuration;

/// <summary>
/// Peer metadata exchange (Istio does the same with x-envoy-peer-metadata): the client sidecar
/// tells the server sidecar which workload sends the request, so both report the same labels.
/// The server believes it only over mTLS and never passes it to the application.
/// </summary>
internal static class PeerHeader
{
    public const string Name = "x-weft-peer";
    private const int MaxCachedPeers = 4096;
    private static readonly ConcurrentDictionary<string, PeerLabels> Parsed = new(StringComparer.Ordinal);

    public static string Format(WorkloadIdentity workload) =>
        $"workload={workload.Name};namespace={workload.Namespace};app={workload.CanonicalService};version={workload.CanonicalRevision};principal={workload.SpiffeId}";

    public static PeerLabels ToLabels(WorkloadIdentity workload, string service = "unknown") => new(
        workload.Name,
        workload.Namespace,
        workload.SpiffeId,
        workload.CanonicalService,
        workload.CanonicalRevision,
        service);

    /// <summary>The labels of the peer a header value describes (cached: peers are few and repeat).</summary>
    public static PeerLabels Parse(string value)
    {
        if (Parsed.TryGetValue(value, out var labels))
        {
            return labels;
        }

        string workload = "unknown", ns = "unknown", app = "unknown", version = "unknown", principal = "unknown";
        foreach (var part in value.Split(';'))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0)
            {
                continue;
            }

            var field = part[(eq + 1)..];
            switch (part[..eq])
            {
                case "workload": workload = field; break;
                case "namespace": ns = field; break;
                case "app": app = field; break;
                case "version": version = field; break;
                case "principal": principal = field; break;
            }
        }

        labels = new PeerLabels(workload, ns, principal, app, version, "unknown");
        if (Parsed.Count < MaxCachedPeers)
        {
            Parsed.TryAdd(value, labels);
        }

        return labels;
    }
}
