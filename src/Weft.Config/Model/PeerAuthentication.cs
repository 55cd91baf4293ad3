namespace Weft.Config.Model;

/// <summary>security.istio.io PeerAuthentication: whether a workload accepts plaintext.</summary>
public sealed class PeerAuthentication : Resource<PeerAuthenticationSpec>;

public sealed class PeerAuthenticationSpec
{
    public WorkloadSelector? Selector { get; init; }
    public PeerAuthenticationMtls? Mtls { get; init; }
    public Dictionary<string, PeerAuthenticationMtls>? PortLevelMtls { get; init; }
}

public sealed class PeerAuthenticationMtls
{
    /// <summary>UNSET, DISABLE, PERMISSIVE or STRICT.</summary>
    public string? Mode { get; init; }
}
