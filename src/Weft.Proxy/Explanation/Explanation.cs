namespace Weft.Proxy.Explanation;

/// <summary>The decision trail of one request, as the proxies on its path would decide it.</summary>
public sealed record Explanation(
    string Source,
    string SourceIdentity,
    string Request,
    string? VirtualHost,
    IReadOnlyList<RouteVerdict> Routes,
    IReadOnlyList<DestinationVerdict> Destinations,
    string Outcome,
    string? Reason)
{
    /// <summary>"allow" when every endpoint the request may reach lets it through, "deny" otherwise.</summary>
    public string Verdict => Outcome == "allowed" ? "allow" : "deny";

    /// <summary>For a denial, the AuthorizationPolicy ("namespace/name") that decided it.</summary>
    public string? DecidingPolicy => Destinations.SelectMany(d => d.Endpoints).FirstOrDefault(e => !e.Allowed)?.Policy;
}

/// <summary>One route of the virtual host, in order, and whether the request matched it.</summary>
public sealed record RouteVerdict(int Index, string Source, string Name, bool Matched, string Conditions);

/// <summary>A cluster the matched route may send to, with its share, endpoints and the server side's verdict.</summary>
public sealed record DestinationVerdict(
    string Cluster,
    double Percent,
    IReadOnlyList<EndpointVerdict> Endpoints);

public sealed record EndpointVerdict(
    string Workload,
    string Address,
    string Identity,
    string MtlsMode,
    string MtlsDecidedBy,
    bool Allowed,
    string Authorization,
    string? Policy = null,
    IReadOnlyList<Authorization.PolicyTrace>? Policies = null);
