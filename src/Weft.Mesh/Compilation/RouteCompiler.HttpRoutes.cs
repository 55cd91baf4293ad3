using System.Text.RegularExpressions;
using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Protocol.V1;
using ProtoStringMatch = Weft.Protocol.V1.StringMatch;

namespace Weft.Mesh.Compilation;

/// <summary>
/// Gateway API HTTPRoutes attached to a Service (GAMMA), compiled into the same proxy routes as
/// VirtualServices. All HTTPRoutes of a Service are merged, and their matches ordered by the
/// Gateway API's precedence. When a VirtualService also routes the Service, it wins and the
/// HTTPRoutes are reported.
/// </summary>
internal sealed partial class RouteCompiler
{
    private readonly Dictionary<string, List<AttachedRoute>> _httpRoutesByService = new(StringComparer.Ordinal);

    /// <summary>An HTTPRoute, or a GRPCRoute read as one (its method matches become path matches).</summary>
    private sealed record AttachedRoute(Resource Resource, HttpRouteSpec Spec)
    {
        public string Namespace => Resource.Namespace;
        public string Name => Resource.Name;
    }

    private IEnumerable<AttachedRoute> AttachedRoutes()
    {
        var httpRoutes = _snapshot.OfType<HttpRouteResource>().Select(r => new AttachedRoute(r, r.Spec));
        var grpcRoutes = _snapshot.OfType<GrpcRouteResource>().Select(r => new AttachedRoute(r, new HttpRouteSpec
        {
            ParentRefs = r.Spec.ParentRefs,
            Hostnames = r.Spec.Hostnames,
            Rules = r.Spec.Rules.Select(rule => new HttpRouteRule
            {
                Name = rule.Name,
                Matches = rule.Matches?.Select(GrpcMatch).ToList(),
                Filters = rule.Filters,
                BackendRefs = rule.BackendRefs,
            }).ToList(),
        }));
        return httpRoutes.Concat(grpcRoutes)
            .OrderBy(r => r.Resource.Metadata.CreationTimestamp ?? "", StringComparer.Ordinal)
            .ThenBy(r => r.Namespace, StringComparer.Ordinal)
            .ThenBy(r => r.Name, StringComparer.Ordinal);
    }

    /// <summary>A gRPC method is the path /service/method of an HTTP/2 request.</summary>
    private static HttpRouteMatch GrpcMatch(GrpcRouteMatch match)
    {
        var method = match.Method;
        HttpPathMatch? path = (method?.Type, method?.Service, method?.Method) switch
        {
            (_, null, null) or (_, "", "") => null,
            ("RegularExpression", var service, var name) => new HttpPathMatch { Type = "RegularExpression", Value = $"/{(string.IsNullOrEmpty(service) ? "[^/]+" : service)}/{(string.IsNullOrEmpty(name) ? "[^/]+" : name)}" },
            (_, { Length: > 0 } service, { Length: > 0 } name) => new HttpPathMatch { Type = "Exact", Value = $"/{service}/{name}" },
            (_, { Length: > 0 } service, _) => new HttpPathMatch { Type = "PathPrefix", Value = $"/{service}/" },
            (_, _, var name) => new HttpPathMatch { Type = "RegularExpression", Value = $"/[^/]+/{System.Text.RegularExpressions.Regex.Escape(name!)}" },
        };
        return new HttpRouteMatch { Path = path, Headers = match.Headers };
    }

    private void IndexHttpRoutes(CompileResult result)
    {
        foreach (var route in AttachedRoutes())
        {
            for (var p = 0; p < route.Spec.ParentRefs.Count; p++)
            {
                var parent = route.Spec.ParentRefs[p];
                if (parent.Kind is not "Service" || parent.Group is not (null or "" or "core"))
                {
                    result.Warning(route.Resource, $"spec.parentRefs[{p}]", "WEFT0102",
                        $"parentRef {parent.Kind ?? "Gateway"} {parent.Name} is not supported: Weft attaches HTTPRoutes to Services (mesh traffic) only");
                    continue;
                }

                var fqdn = $"{parent.Name}.{parent.Namespace ?? route.Namespace}.svc.{_snapshot.Options.ClusterDomain}";
                if (_services.Find(fqdn) is null)
                {
                    result.Error(route.Resource, $"spec.parentRefs[{p}].name", $"parent Service {parent.Name} ({fqdn}) does not exist");
                    continue;
                }

                if (_virtualServiceByHost.TryGetValue(fqdn, out var virtualService))
                {
                    result.Warning(route.Resource, $"spec.parentRefs[{p}]", "WEFT0103",
                        $"{virtualService.Reference} also routes {fqdn}; the VirtualService takes precedence and this {route.Resource.Kind} has no effect there");
                    continue;
                }

                if (!_httpRoutesByService.TryGetValue(fqdn, out var list))
                {
                    _httpRoutesByService[fqdn] = list = [];
                }

                list.Add(route);
            }

            ValidateBackends(route, result);
        }
    }

    private void ValidateBackends(AttachedRoute route, CompileResult result)
    {
        for (var r = 0; r < route.Spec.Rules.Count; r++)
        {
            var rule = route.Spec.Rules[r];
            var references = (rule.BackendRefs ?? []).Select((b, i) => (b, $"spec.rules[{r}].backendRefs[{i}]")).ToList();
            for (var f = 0; f < (rule.Filters?.Count ?? 0); f++)
            {
                if (rule.Filters![f].RequestMirror is { } mirror)
                {
                    references.Add((mirror.BackendRef, $"spec.rules[{r}].filters[{f}].requestMirror.backendRef"));
                }
            }

            for (var b = 0; b < (rule.BackendRefs?.Count ?? 0); b++)
            {
                var filters = rule.BackendRefs![b].Filters ?? [];
                for (var f = 0; f < filters.Count; f++)
                {
                    if (filters[f].Type is not ("RequestHeaderModifier" or "ResponseHeaderModifier"))
                    {
                        result.Warning(route.Resource, $"spec.rules[{r}].backendRefs[{b}].filters[{f}].type", DiagnosticCodes.UnsupportedField,
                            $"a {filters[f].Type} filter on a backendRef is not supported (only header modifiers are); it is ignored — fix: move it to the rule's filters");
                    }
                }
            }

            foreach (var (backend, path) in references)
            {
                var service = _services.Find($"{backend.Name}.{backend.Namespace ?? route.Namespace}.svc.{_snapshot.Options.ClusterDomain}");
                if (backend.Kind is not (null or "Service"))
                {
                    result.Error(route.Resource, $"{path}.kind", $"backendRef kind {backend.Kind} is not supported; use a Service");
                }
                else if (service is null)
                {
                    result.Error(route.Resource, $"{path}.name", $"backend Service {backend.Name} does not exist");
                }
                else if (backend.Port is { } port && service.FindPort(port) is null)
                {
                    result.Error(route.Resource, $"{path}.port", $"Service {backend.Name} has no port {port}");
                }
            }
        }
    }

    private IEnumerable<Route> HttpRoutes(List<AttachedRoute> routes, int port, Dictionary<string, Cluster> clusters)
    {
        var candidates = new List<(Route Route, (int, int, int, int, int) Precedence, int Order)>();
        var order = 0;
        foreach (var resource in routes)
        {
            if (!resource.Spec.ParentRefs.Exists(p => p.Kind == "Service" && (p.Port is null || p.Port == port)))
            {
                continue;
            }

            for (var r = 0; r < resource.Spec.Rules.Count; r++)
            {
                var rule = resource.Spec.Rules[r];
                var matches = rule.Matches is { Count: > 0 } ? rule.Matches : [new HttpRouteMatch()];
                for (var m = 0; m < matches.Count; m++)
                {
                    var (route, precedence) = CompileRule(resource, rule, r, matches[m], port, clusters);
                    candidates.Add((route, precedence, order++));
                }
            }
        }

        // Gateway API precedence: exact path, longest prefix, method, most headers, most query params; then route age/name and rule order.
        return candidates.OrderBy(c => c.Precedence).ThenBy(c => c.Order).Select(c => c.Route);
    }

    private (Route Route, (int, int, int, int, int) Precedence) CompileRule(AttachedRoute resource, HttpRouteRule rule, int ruleIndex, HttpRouteMatch match, int port, Dictionary<string, Cluster> clusters)
    {
        var route = new Route
        {
            Source = $"{resource.Namespace}/{resource.Name}",
            Name = rule.Name ?? $"rules[{ruleIndex}]",
            Retries = Retries(null),
            Timeout = rule.Timeouts?.Request is { } timeout ? Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(timeout.Value) : null,
        };
        if (rule.Timeouts?.BackendRequest is { } backendTimeout)
        {
            route.Retries.PerTryTimeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(backendTimeout.Value);
        }

        var compiled = new RouteMatch();
        var path = match.Path?.Value ?? "/";
        var pathType = match.Path?.Type ?? "PathPrefix";
        compiled.Uri = pathType switch
        {
            "Exact" => new ProtoStringMatch { Exact = path },
            "RegularExpression" => new ProtoStringMatch { Regex = path },
            _ => SegmentPrefix(path),
        };
        if (match.Method is { } method)
        {
            compiled.Method = new ProtoStringMatch { Exact = method };
        }

        foreach (var header in match.Headers ?? [])
        {
            compiled.Headers.Add(new HeaderMatch { Name = header.Name.ToLowerInvariant(), Value = ValueMatch(header) });
        }

        foreach (var query in match.QueryParams ?? [])
        {
            compiled.QueryParams.Add(new QueryParamMatch { Name = query.Name, Value = ValueMatch(query) });
        }

        route.Matches.Add(compiled);
        foreach (var backend in rule.BackendRefs ?? [])
        {
            if (BackendCluster(resource, backend, port, clusters) is { } cluster)
            {
                var destination = new WeightedCluster { Cluster = cluster.Name, Weight = (uint)(backend.Weight ?? 1) };
                foreach (var filter in backend.Filters ?? [])
                {
                    switch (filter.Type)
                    {
                        case "RequestHeaderModifier" when filter.RequestHeaderModifier is { } headers:
                            destination.RequestHeaders = HeaderOperationsOf(headers);
                            break;
                        case "ResponseHeaderModifier" when filter.ResponseHeaderModifier is { } headers:
                            destination.ResponseHeaders = HeaderOperationsOf(headers);
                            break;
                    }
                }

                route.Destinations.Add(destination);
            }
        }

        Normalise(route);
        ApplyFilters(resource, rule, pathType == "PathPrefix" ? path : null, port, route, clusters);
        var precedence = (pathType == "Exact" ? 0 : 1, -(pathType == "PathPrefix" ? path.Length : 0), match.Method is null ? 1 : 0, -(match.Headers?.Count ?? 0), -(match.QueryParams?.Count ?? 0));
        return (route, precedence);
    }

    private void ApplyFilters(AttachedRoute resource, HttpRouteRule rule, string? matchedPrefix, int port, Route route, Dictionary<string, Cluster> clusters)
    {
        foreach (var filter in rule.Filters ?? [])
        {
            switch (filter.Type)
            {
                case "RequestHeaderModifier" when filter.RequestHeaderModifier is { } headers:
                    route.RequestHeaders = HeaderOperationsOf(headers);
                    break;
                case "ResponseHeaderModifier" when filter.ResponseHeaderModifier is { } headers:
                    route.ResponseHeaders = HeaderOperationsOf(headers);
                    break;
                case "URLRewrite" when filter.UrlRewrite is { } rewrite:
                    route.Rewrite = new Rewrite
                    {
                        Authority = rewrite.Hostname ?? "",
                        Uri = rewrite.Path?.ReplaceFullPath ?? rewrite.Path?.ReplacePrefixMatch ?? "",
                        Prefix = rewrite.Path?.Type == "ReplacePrefixMatch" ? matchedPrefix ?? "" : "",
                    };
                    break;
                case "RequestRedirect" when filter.RequestRedirect is { } redirect:
                    route.Redirect = new Redirect
                    {
                        Scheme = redirect.Scheme ?? "",
                        Authority = redirect.Hostname ?? "",
                        Port = (uint)(redirect.Port ?? 0),
                        Uri = redirect.Path?.ReplaceFullPath ?? redirect.Path?.ReplacePrefixMatch ?? "",
                        Code = (uint)(redirect.StatusCode ?? 302), // the Gateway API default
                    };
                    route.Destinations.Clear();
                    break;
                case "RequestMirror" when filter.RequestMirror is { } mirror && BackendCluster(resource, mirror.BackendRef, port, clusters) is { } cluster:
                    route.Mirror = new Mirror { Cluster = cluster.Name, Percent = mirror.Percent ?? 100 };
                    break;
            }
        }
    }

    private Cluster? BackendCluster(AttachedRoute resource, HttpBackendRef backend, int port, Dictionary<string, Cluster> clusters)
    {
        var service = _services.Find($"{backend.Name}.{backend.Namespace ?? resource.Namespace}.svc.{_snapshot.Options.ClusterDomain}");
        if (service is null)
        {
            return null; // reported by ValidateBackends
        }

        var backendPort = backend.Port ?? (service.FindPort(port) is not null || service.Ports.Count != 1 ? port : service.Ports[0].Port.Port);
        return EnsureCluster(service, backendPort, "", clusters);
    }

    /// <summary>Gateway API weights are relative: scale them to the proxy's percentages.</summary>
    private static void Normalise(Route route)
    {
        var total = route.Destinations.Sum(d => (long)d.Weight);
        if (total == 0 || route.Destinations.Count == 1)
        {
            return;
        }

        foreach (var destination in route.Destinations)
        {
            destination.Weight = (uint)Math.Round(100.0 * destination.Weight / total);
        }
    }

    /// <summary>A PathPrefix matches whole path segments: /foo matches /foo and /foo/bar, not /foobar.</summary>
    private static ProtoStringMatch SegmentPrefix(string prefix) =>
        prefix.EndsWith('/') ? new ProtoStringMatch { Prefix = prefix } : new ProtoStringMatch { Regex = Regex.Escape(prefix) + "(/.*)?" };

    private static ProtoStringMatch ValueMatch(HttpNameValueMatch match) =>
        match.Type == "RegularExpression" ? new ProtoStringMatch { Regex = match.Value } : new ProtoStringMatch { Exact = match.Value };

    private static Protocol.V1.HeaderOperations HeaderOperationsOf(HttpHeaderFilter filter)
    {
        var operations = new Protocol.V1.HeaderOperations();
        foreach (var header in filter.Set ?? [])
        {
            operations.Set[header.Name.ToLowerInvariant()] = header.Value;
        }

        foreach (var header in filter.Add ?? [])
        {
            operations.Add[header.Name.ToLowerInvariant()] = header.Value;
        }

        operations.Remove.AddRange((filter.Remove ?? []).Select(n => n.ToLowerInvariant()));
        return operations;
    }
}
