namespace Weft.Proxy.Telemetry;

/// <summary>
/// The workload labels of one side of a request, bound once per config or peer and reused by
/// every request, so recording a request builds no strings.
/// </summary>
internal sealed class PeerLabels(string workload, string @namespace, string principal, string app, string version, string service)
{
    public static readonly PeerLabels Unknown = new("unknown", "unknown", "unknown", "unknown", "unknown", "unknown");

    public string Workload { get; } = workload;
    public string Namespace { get; } = @namespace;
    public string Principal { get; } = principal;
    public string App { get; } = app;
    public string Version { get; } = version;
    /// <summary>The destination service FQDN ("unknown" for sources).</summary>
    public string Service { get; } = service;
    public string ServiceName { get; } = service.Split('.')[0];
    public string ServiceNamespace { get; } = service.Split('.') is { Length: > 1 } parts ? parts[1] : "unknown";
}

internal enum Reporter
{
    Source,
    Destination,
}

internal enum ConnectionSecurity
{
    None,
    MutualTls,
}
