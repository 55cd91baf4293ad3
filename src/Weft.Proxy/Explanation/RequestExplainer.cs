using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Weft.Protocol.V1;
using Weft.Proxy.Authorization;
using Weft.Proxy.Routing;
using Endpoint = Weft.Protocol.V1.Endpoint;
using Route = Weft.Protocol.V1.Route;

namespace Weft.Proxy.Explanation;

/// <summary>
/// Explains a request with the proxies' own decision code: the source sidecar's route table
/// (virtual host, first matching route, split) and each destination sidecar's mTLS mode and
/// authorization engine — so what it says is what the proxies do.
/// </summary>
public static class RequestExplainer
{
    /// <param name="source">The calling workload's compiled config.</param>
    /// <param name="destinations">Compiled configs by "namespace/workload", for the server side of each endpoint.</param>
    public static Explanation Explain(ProxyConfig source, IReadOnlyDictionary<string, ProxyConfig> destinations,
        string authority, string method, string path, IReadOnlyDictionary<string, string> headers)
    {
        var requestHeaders = new HeaderDictionary();
        foreach (var (name, value) in headers)
        {
            requestHeaders[name] = value;
        }

        var who = $"{source.Workload.Namespace}/{source.Workload.Name}";
        var request = $"{method} http://{authority}{path}";
        var table = RouteTable.Build(source);
        if (!table.TryFindVirtualHost(authority, out var host))
        {
            return new Explanation(who, source.Workload.SpiffeId, request, null, [], [], "no-route",
                $"no service is called '{authority}' from {who} (a bare name reaches a service in the caller's namespace, or a unique name)");
        }

        // The choice is the proxy's own: CompiledVirtualHost.Match, as both outbound paths call it.
        var protoHost = source.Outbound.First(h => h.Name == host.Name);
        var queryStart = path.IndexOf('?', StringComparison.Ordinal);
        var query = new QueryCollection(queryStart < 0 ? [] : Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(path[queryStart..]));
        var match = host.Match(method, path, requestHeaders, host.MatchesQueryParameters ? query : null);
        var routes = new List<RouteVerdict>();
        Route? chosen = null;
        for (var i = 0; i < host.Routes.Count; i++)
        {
            var matched = ReferenceEquals(host.Routes[i], match);
            routes.Add(new RouteVerdict(i, host.Routes[i].Source, host.Routes[i].Name, matched, Describe(protoHost.Routes[i])));
            chosen ??= matched ? protoHost.Routes[i] : null;
        }

        if (chosen is null)
        {
            return new Explanation(who, source.Workload.SpiffeId, request, host.Name, routes, [], "no-route", $"no route of {host.Name} matches {method} {path}");
        }

        var total = chosen.Destinations.Sum(d => (double)d.Weight);
        var verdicts = new List<DestinationVerdict>();
        foreach (var destination in chosen.Destinations)
        {
            var cluster = source.Clusters.First(c => c.Name == destination.Cluster);
            var endpoints = cluster.Endpoints.Select(e => ExplainEndpoint(source, destinations, e, cluster, method, path, host.Name, requestHeaders)).ToList();
            verdicts.Add(new DestinationVerdict(cluster.Name, total == 0 ? 100.0 / chosen.Destinations.Count : 100 * destination.Weight / total, endpoints));
        }

        var reachable = verdicts.Where(v => v.Percent > 0).ToList();
        var outcome = reachable.All(v => v.Endpoints.Count == 0) ? "no-healthy-upstream"
            : reachable.SelectMany(v => v.Endpoints).All(e => e.Allowed) ? "allowed"
            : reachable.SelectMany(v => v.Endpoints).Any(e => e.Allowed) ? "partly-denied"
            : "authz-denied";
        var reason = outcome switch
        {
            "no-healthy-upstream" => "the chosen subsets have no endpoints",
            "allowed" => null,
            _ => string.Join("; ", reachable.SelectMany(v => v.Endpoints).Where(e => !e.Allowed).Select(e => $"{e.Workload}: {e.Authorization}").Distinct()),
        };
        return new Explanation(who, source.Workload.SpiffeId, request, host.Name, routes, verdicts, outcome, reason);
    }

    private static EndpointVerdict ExplainEndpoint(ProxyConfig source, IReadOnlyDictionary<string, ProxyConfig> destinations, Endpoint endpoint,
        Cluster cluster, string method, string path, string host, IHeaderDictionary headers)
    {
        if (string.IsNullOrEmpty(endpoint.SpiffeId) || !destinations.TryGetValue($"{endpoint.Namespace}/{endpoint.Workload}", out var server))
        {
            return new EndpointVerdict(endpoint.Workload, endpoint.Address, "(no sidecar)", "none", "", true, "no sidecar: plaintext, no policy enforced");
        }

        // The server's listener for the port this endpoint serves (its policies may differ by port).
        var inbound = server.Inbound.FirstOrDefault(i => i.Port == endpoint.WorkloadPort)
            ?? server.Inbound.FirstOrDefault(i => i.Services.Contains(cluster.ServiceFqdn))
            ?? server.Inbound.FirstOrDefault();
        var mode = inbound?.MtlsMode.ToString().ToUpperInvariant() ?? "PERMISSIVE";
        var principal = source.Workload.SpiffeId["spiffe://".Length..];
        var engine = AuthorizationEngine.Build(server.Authorization);
        var request = new AuthorizationRequest
        {
            Principal = principal,
            SourceNamespace = source.Workload.Namespace,
            Method = method,
            Path = path,
            Host = host.Split(':')[0],
            Port = (int)(inbound?.Port ?? 0),
            Headers = headers,
        };
        var decision = engine.Evaluate(request);
        var why = decision.Reason switch
        {
            AuthorizationReason.NoAllowPolicies when server.Authorization.Count == 0 => "allowed: no AuthorizationPolicy applies to this workload",
            AuthorizationReason.NoAllowPolicies => "allowed: no DENY matched and no ALLOW policy applies",
            AuthorizationReason.AllowPolicyMatched => $"allowed by AuthorizationPolicy {decision.Policy}",
            AuthorizationReason.DenyPolicyMatched => $"denied by DENY AuthorizationPolicy {decision.Policy}",
            AuthorizationReason.NoAllowPolicyMatched => $"denied: ALLOW policies apply ({string.Join(", ", server.Authorization.Where(p => p.Action == AuthorizationAction.Allow).Select(p => p.Name))}) and none matches {principal}",
            _ => decision.Allowed ? "allowed" : "denied",
        };
        if (decision.AuditPolicy is { } audit)
        {
            why += $" (audited by {audit})";
        }

        return new EndpointVerdict(endpoint.Workload, endpoint.Address, endpoint.SpiffeId, mode,
            string.IsNullOrEmpty(inbound?.MtlsPolicy) ? "default (no PeerAuthentication)" : $"PeerAuthentication {inbound.MtlsPolicy}", decision.Allowed, why,
            decision.Policy ?? (decision.Reason == AuthorizationReason.NoAllowPolicyMatched
                ? string.Join(", ", server.Authorization.Where(p => p.Action == AuthorizationAction.Allow).Select(p => p.Name))
                : null),
            engine.Trace(request));
    }

    /// <summary>The route's matches as users wrote them, to show why a request did or did not match.</summary>
    private static string Describe(Route route)
    {
        if (route.Matches.Count == 0)
        {
            return "any request";
        }

        return string.Join(" OR ", route.Matches.Select(match =>
        {
            var parts = new List<string>();
            if (match.Uri is not null)
            {
                parts.Add($"uri {Describe(match.Uri)}{(match.IgnoreUriCase ? " (any case)" : "")}");
            }

            if (match.Method is not null)
            {
                parts.Add($"method {Describe(match.Method)}");
            }

            foreach (var header in match.Headers)
            {
                parts.Add(header.Absent ? $"no header {header.Name}" : $"header {header.Name} {Describe(header.Value)}");
            }

            return parts.Count == 0 ? "any request" : string.Join(" AND ", parts);
        }));
    }

    private static string Describe(StringMatch? match) => match?.KindCase switch
    {
        StringMatch.KindOneofCase.Exact => $"= '{match.Exact}'",
        StringMatch.KindOneofCase.Prefix => $"starts with '{match.Prefix}'",
        StringMatch.KindOneofCase.Regex => $"~ /{match.Regex}/",
        _ => "present",
    };

    /// <summary>The trail as a person reads it.</summary>
    public static string Format(Explanation explanation)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{explanation.Request}\n  from {explanation.Source} ({explanation.SourceIdentity})\n");
        if (explanation.VirtualHost is null)
        {
            return text.Append(CultureInfo.InvariantCulture, $"  ✘ {explanation.Outcome}: {explanation.Reason}\n").ToString();
        }

        text.Append(CultureInfo.InvariantCulture, $"  service {explanation.VirtualHost}\n  routes (first match wins):\n");
        foreach (var route in explanation.Routes)
        {
            var mark = route.Matched ? "→" : " ";
            text.Append(CultureInfo.InvariantCulture, $"   {mark} [{route.Index}] {route.Source} {route.Name}: {route.Conditions}{(route.Matched ? "  ← matched" : "")}\n");
        }

        foreach (var destination in explanation.Destinations)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {destination.Percent:0.#}% → {destination.Cluster}\n");
            if (destination.Endpoints.Count == 0)
            {
                text.Append("      (no endpoints)\n");
            }

            foreach (var endpoint in destination.Endpoints)
            {
                text.Append(CultureInfo.InvariantCulture,
                    $"      {(endpoint.Allowed ? "✔" : "✘")} {endpoint.Workload} {endpoint.Address} {endpoint.Identity}\n        mTLS {endpoint.MtlsMode} ({endpoint.MtlsDecidedBy}); {endpoint.Authorization}\n");
                foreach (var policy in endpoint.Policies ?? [])
                {
                    var action = policy.Action.ToString().ToUpperInvariant();
                    if (policy.Matched)
                    {
                        text.Append(CultureInfo.InvariantCulture, $"        {action} {policy.Policy}: rule {policy.MatchedRule} matches\n");
                    }
                    else
                    {
                        text.Append(CultureInfo.InvariantCulture, $"        {action} {policy.Policy}: no rule matches — {string.Join("; ", policy.Mismatches)}\n");
                    }
                }
            }
        }

        text.Append(CultureInfo.InvariantCulture, $"  outcome: {explanation.Outcome}{(explanation.Reason is null ? "" : $" — {explanation.Reason}")}\n");
        return text.ToString();
    }
}
