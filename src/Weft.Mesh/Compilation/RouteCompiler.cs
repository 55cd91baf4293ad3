using Google.Protobuf.WellKnownTypes;
using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Mesh.Model;
using Weft.Protocol.V1;
using ConfigStringMatch = Weft.Config.Model.StringMatch;
using ProtoStringMatch = Weft.Protocol.V1.StringMatch;

namespace Weft.Mesh.Compilation;

/// <summary>
/// Compiles the client side of the mesh: for every service port, the host names that reach it,
/// its routes (from the VirtualService for that host, or Istio's default route) and the
/// clusters (service/subset/port) with their endpoints.
/// </summary>
internal sealed partial class RouteCompiler
{
    /// <summary>Istio's retry policy for routes that declare none (503 excluded, as since Istio 1.24).</summary>
    private static readonly string[] DefaultRetryOn = ["connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"];

    /// <summary>
    /// A `retries` block without `retryOn` also retries 503: what the seed's canary relies on
    /// ("attempts: 2" rides over a failing v2), and Istio's behaviour before 1.24.
    /// </summary>
    private static readonly string[] DeclaredRetryOn = ["connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes", "503"];

    private readonly MeshSnapshot _snapshot;
    private readonly ServiceIndex _services;
    private readonly Dictionary<string, VirtualService> _virtualServiceByHost = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DestinationRule> _destinationRuleByHost = new(StringComparer.Ordinal);

    public RouteCompiler(MeshSnapshot snapshot, ServiceIndex services, CompileResult result)
    {
        _snapshot = snapshot;
        _services = services;

        foreach (var rule in Ordered(snapshot.OfType<DestinationRule>()))
        {
            var fqdn = HostNames.ToFqdn(rule.Spec.Host, rule.Namespace, snapshot.Options);
            if (services.Find(fqdn) is null)
            {
                // Istio accepts it (the host may appear later) and so does Weft; its subsets still count for references.
                result.Warning(rule, "spec.host", "IST0174",
                    $"host '{rule.Spec.Host}' ({fqdn}) matches no Service: this DestinationRule has no effect — fix: correct the host or remove the rule");
            }

            if (!_destinationRuleByHost.TryAdd(fqdn, rule))
            {
                result.Warning(rule, "spec.host", "WEFT0101",
                    $"{_destinationRuleByHost[fqdn].Reference} already applies to {fqdn}; this DestinationRule is ignored (Weft does not merge DestinationRules)");
            }
        }

        foreach (var virtualService in Ordered(snapshot.OfType<VirtualService>()))
        {
            ValidateDestinations(virtualService, result);
            if (!BoundToMesh(virtualService))
            {
                continue; // it configures gateways only, which Weft does not run
            }

            for (var h = 0; h < virtualService.Spec.Hosts.Count; h++)
            {
                var fqdn = HostNames.ToFqdn(virtualService.Spec.Hosts[h], virtualService.Namespace, snapshot.Options);
                if (services.Find(fqdn) is null)
                {
                    result.Warning(virtualService, $"spec.hosts[{h}]", "WEFT0104",
                        $"host '{virtualService.Spec.Hosts[h]}' ({fqdn}) matches no Service; the VirtualService has no effect for it");
                    continue;
                }

                if (!_virtualServiceByHost.TryAdd(fqdn, virtualService))
                {
                    result.Warning(virtualService, $"spec.hosts[{h}]", "IST0109",
                        $"{_virtualServiceByHost[fqdn].Reference} already routes {fqdn}; this VirtualService is ignored for that host");
                }
            }

            DependsOnClientLabels |= virtualService.Spec.Http.Exists(h => h.Match?.Exists(m => m.SourceLabels is { Count: > 0 }) == true);
        }

        IndexHttpRoutes(result);
    }

    /// <summary>Istio's rule: a VirtualService applies to sidecars when it names no gateways, or names "mesh" among them.</summary>
    public static bool BoundToMesh(VirtualService virtualService) =>
        virtualService.Spec.Gateways is null or { Count: 0 } || virtualService.Spec.Gateways.Contains("mesh");

    /// <summary>True when some route depends on the calling workload's labels (sourceLabels), not only its namespace.</summary>
    public bool DependsOnClientLabels { get; }

    public (List<VirtualHost> Hosts, List<Cluster> Clusters) CompileOutbound(WorkloadInstance client)
    {
        var clientNamespace = client.Namespace;
        var hosts = new List<VirtualHost>();
        var clusters = new Dictionary<string, Cluster>(StringComparer.Ordinal);
        foreach (var service in _services.All.OrderBy(s => s.Fqdn, StringComparer.Ordinal))
        {
            foreach (var (port, _) in service.Ports)
            {
                var host = new VirtualHost
                {
                    Name = $"{service.Fqdn}:{port.Port}",
                    Port = (uint)port.Port,
                    ServiceFqdn = service.Fqdn,
                    ServiceName = service.Name,
                    ServiceNamespace = service.Namespace,
                };
                host.Domains.AddRange(Domains(service, clientNamespace));
                host.Addresses.AddRange(ServiceAddresses.Of(service, _snapshot));
                host.AppProtocol = AppProtocols.Of(port.AppProtocol, port.Name);
                var routes = _virtualServiceByHost.TryGetValue(service.Fqdn, out var virtualService)
                    ? Routes(virtualService, service, port.Port, client, clusters).ToList()
                    : _httpRoutesByService.TryGetValue(service.Fqdn, out var httpRoutes)
                        ? HttpRoutes(httpRoutes, port.Port, clusters).ToList()
                        : [];

                // A port no route applies to (an HTTPRoute on another port, say) keeps Istio's default route.
                host.Routes.AddRange(routes.Count > 0 || virtualService is not null ? routes : [DefaultRoute(service, port.Port, clusters)]);
                hosts.Add(host);
            }
        }

        return (hosts, clusters.Values.OrderBy(c => c.Name, StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// The names a client in <paramref name="clientNamespace"/> may use for the service. Besides
    /// Kubernetes' forms, a bare name also reaches a service in another namespace when it is the
    /// only service with that name — local mode has no DNS search path to rely on.
    /// </summary>
    private IEnumerable<string> Domains(IndexedService service, string clientNamespace)
    {
        yield return service.Fqdn;
        yield return $"{service.Name}.{service.Namespace}.svc";
        yield return $"{service.Name}.{service.Namespace}";
        if (service.Namespace == clientNamespace || (_services.CountNamed(service.Name) == 1 && !_services.Exists(service.Name, clientNamespace)))
        {
            yield return service.Name;
        }
    }

    private IEnumerable<Route> Routes(VirtualService virtualService, IndexedService service, int port, WorkloadInstance client, Dictionary<string, Cluster> clusters)
    {
        for (var i = 0; i < virtualService.Spec.Http.Count; i++)
        {
            var http = virtualService.Spec.Http[i];
            var route = new Route
            {
                Source = $"{virtualService.Namespace}/{virtualService.Name}",
                Name = http.Name ?? $"http[{i}]",
                Retries = Retries(http.Retries),
                Timeout = http.Timeout is { } timeout ? Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(timeout.Value) : null,
                Fault = Fault(http.Fault),
                RequestHeaders = HeaderOperationsOf(http.Headers?.Request),
                ResponseHeaders = HeaderOperationsOf(http.Headers?.Response),
                Rewrite = http.Rewrite is { } rewrite ? new Rewrite { Uri = rewrite.Uri ?? "", Authority = rewrite.Authority ?? "" } : null,
                Redirect = http.Redirect is { } redirect
                    ? new Redirect { Uri = redirect.Uri ?? "", Authority = redirect.Authority ?? "", Port = (uint)(redirect.Port ?? 0), Scheme = redirect.Scheme ?? "", Code = (uint)(redirect.RedirectCode ?? 301) }
                    : null,
            };

            // port and sourceLabels decide whether a match applies to this virtual host and this client at all.
            var applicable = (http.Match ?? []).Where(m => (m.Port is null || m.Port == port) && (m.SourceLabels is null || Labels.Match(m.SourceLabels, client.Labels))).ToList();
            if (http.Match is { Count: > 0 } && applicable.Count == 0)
            {
                continue;
            }

            foreach (var match in applicable)
            {
                route.Matches.Add(Match(match));
            }

            if (http.Mirror is { } mirror && _services.Find(HostNames.ToFqdn(mirror.Host, virtualService.Namespace, _snapshot.Options)) is { } mirrorService)
            {
                var mirrorPort = mirror.Port?.Number ?? (mirrorService.FindPort(port) is not null || mirrorService.Ports.Count != 1 ? port : mirrorService.Ports[0].Port.Port);
                route.Mirror = new Mirror { Cluster = EnsureCluster(mirrorService, mirrorPort, mirror.Subset ?? "", clusters).Name, Percent = http.MirrorPercentage?.Value ?? 100 };
            }

            foreach (var destination in http.Route)
            {
                var target = _services.Find(HostNames.ToFqdn(destination.Destination.Host, virtualService.Namespace, _snapshot.Options));
                if (target is null)
                {
                    continue; // reported by ValidateDestinations
                }

                var targetPort = destination.Destination.Port?.Number ?? (target.FindPort(port) is not null || target.Ports.Count != 1 ? port : target.Ports[0].Port.Port);
                var cluster = EnsureCluster(target, targetPort, destination.Destination.Subset ?? "", clusters);
                route.Destinations.Add(new WeightedCluster
                {
                    Cluster = cluster.Name,
                    Weight = (uint)(destination.Weight ?? (http.Route.Count == 1 ? 100 : 0)),
                    RequestHeaders = HeaderOperationsOf(destination.Headers?.Request),
                    ResponseHeaders = HeaderOperationsOf(destination.Headers?.Response),
                });
            }

            if (route.Retries.PerTryTimeout is null && route.Timeout is not null && route.Retries.Attempts > 0)
            {
                route.Retries.PerTryTimeout = route.Timeout; // Istio: perTryTimeout defaults to the route timeout
            }

            yield return route;
        }
    }

    private Route DefaultRoute(IndexedService service, int port, Dictionary<string, Cluster> clusters)
    {
        var cluster = EnsureCluster(service, port, "", clusters);
        var route = new Route { Source = "default", Name = "default", Retries = Retries(null) };
        route.Destinations.Add(new WeightedCluster { Cluster = cluster.Name, Weight = 100 });
        return route;
    }

    private static FaultInjection? Fault(HttpFaultInjection? fault)
    {
        if (fault is null)
        {
            return null;
        }

        var compiled = new FaultInjection();
        if (fault.Delay is { FixedDelay: { } delay })
        {
            compiled.Delay = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(delay.Value);
            compiled.DelayPercent = fault.Delay.Percentage?.Value ?? 100;
        }

        if (fault.Abort is { HttpStatus: { } status })
        {
            compiled.AbortStatus = (uint)status;
            compiled.AbortPercent = fault.Abort.Percentage?.Value ?? 100;
        }

        return compiled;
    }

    private static Protocol.V1.HeaderOperations? HeaderOperationsOf(Config.Model.HeaderOperations? operations)
    {
        if (operations is null)
        {
            return null;
        }

        var compiled = new Protocol.V1.HeaderOperations();
        foreach (var (name, value) in operations.Set ?? [])
        {
            compiled.Set[name.ToLowerInvariant()] = value;
        }

        foreach (var (name, value) in operations.Add ?? [])
        {
            compiled.Add[name.ToLowerInvariant()] = value;
        }

        compiled.Remove.AddRange((operations.Remove ?? []).Select(n => n.ToLowerInvariant()));
        return compiled;
    }

    private static RetryPolicy Retries(HttpRetry? retries)
    {
        var policy = new RetryPolicy { Attempts = (uint)Math.Max(0, retries?.Attempts ?? 2) };
        if (retries?.PerTryTimeout is { } perTry)
        {
            policy.PerTryTimeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(perTry.Value);
        }

        var retryOn = retries?.RetryOn?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        policy.RetryOn.AddRange(retryOn is { Length: > 0 } ? retryOn : retries is null ? DefaultRetryOn : DeclaredRetryOn);
        return policy;
    }

    private static RouteMatch Match(HttpMatchRequest match)
    {
        var compiled = new RouteMatch { Name = match.Name ?? "", IgnoreUriCase = match.IgnoreUriCase ?? false };
        if (match.Uri is { } uri)
        {
            compiled.Uri = Convert(uri);
        }

        if (match.Method is { } method)
        {
            compiled.Method = Convert(method);
        }

        foreach (var (name, value) in match.Headers ?? [])
        {
            var header = new HeaderMatch { Name = name.ToLowerInvariant() };
            if (value.Exact is not null || value.Prefix is not null || value.Regex is not null)
            {
                header.Value = Convert(value);
            }
            else
            {
                header.Value = new ProtoStringMatch { Regex = ".*" }; // an empty match: the header must be present
            }

            compiled.Headers.Add(header);
        }

        foreach (var (name, value) in match.WithoutHeaders ?? [])
        {
            compiled.WithoutHeaders.Add(new HeaderMatch
            {
                Name = name.ToLowerInvariant(),
                Value = value.Exact is not null || value.Prefix is not null || value.Regex is not null ? Convert(value) : new ProtoStringMatch { Regex = ".*" },
            });
        }

        foreach (var (name, value) in match.QueryParams ?? [])
        {
            compiled.QueryParams.Add(new QueryParamMatch { Name = name, Value = value.Exact is not null || value.Prefix is not null || value.Regex is not null ? Convert(value) : new ProtoStringMatch { Regex = ".*" } });
        }

        return compiled;
    }

    private static ProtoStringMatch Convert(ConfigStringMatch match) =>
        match.Exact is { } exact ? new ProtoStringMatch { Exact = exact }
        : match.Prefix is { } prefix ? new ProtoStringMatch { Prefix = prefix }
        : new ProtoStringMatch { Regex = match.Regex ?? "" };

    private Cluster EnsureCluster(IndexedService service, int port, string subset, Dictionary<string, Cluster> clusters)
    {
        var name = $"outbound|{port}|{subset}|{service.Fqdn}";
        if (clusters.TryGetValue(name, out var existing))
        {
            return existing;
        }

        var rule = _destinationRuleByHost.GetValueOrDefault(service.Fqdn);
        var subsetRule = rule?.Spec.Subsets.Find(s => s.Name == subset);
        // A subset's traffic policy replaces the top level's setting by setting, as Istio merges them.
        var loadBalancer = subsetRule?.TrafficPolicy?.LoadBalancer ?? rule?.Spec.TrafficPolicy?.LoadBalancer;
        var cluster = new Cluster
        {
            Name = name,
            ServiceFqdn = service.Fqdn,
            Subset = subset,
            Port = (uint)port,
            LoadBalancer = LoadBalancerOf(loadBalancer),
            Mtls = true,
            OutlierDetection = OutlierDetectionOf(subsetRule?.TrafficPolicy?.OutlierDetection ?? rule?.Spec.TrafficPolicy?.OutlierDetection),
            ConnectionPool = ConnectionPoolOf(subsetRule?.TrafficPolicy?.ConnectionPool ?? rule?.Spec.TrafficPolicy?.ConnectionPool),
            ConsistentHash = ConsistentHashOf(loadBalancer?.ConsistentHash),
        };
        var backends = service.Ports.Find(p => p.Port.Port == port).Backends ?? [];
        foreach (var (instance, workloadPort) in backends)
        {
            if (!instance.Serving || subsetRule is not null && !Labels.Match(subsetRule.Labels, instance.Labels))
            {
                continue;
            }

            var identity = MeshCompiler.Identity(instance, _snapshot.Options);
            cluster.Endpoints.Add(new Endpoint
            {
                Address = instance.Endpoints[workloadPort],
                Workload = instance.Name,
                Namespace = instance.Namespace,
                SpiffeId = instance.Meshed ? identity.SpiffeId : "",
                CanonicalService = identity.CanonicalService,
                CanonicalRevision = identity.CanonicalRevision,
                WorkloadPort = (uint)workloadPort,
            });
            cluster.Mtls &= instance.Meshed;
        }

        clusters[name] = cluster;
        return cluster;
    }

    /// <summary>Istio's defaults when the block is present: 5 consecutive 5xx, 10s interval, 30s base ejection, 10% max.</summary>
    private static Protocol.V1.OutlierDetection? OutlierDetectionOf(Config.Model.OutlierDetection? settings) => settings is null ? null : new Protocol.V1.OutlierDetection
    {
        Consecutive5XxErrors = (uint)(settings.Consecutive5xxErrors ?? 5),
        ConsecutiveGatewayErrors = (uint)(settings.ConsecutiveGatewayErrors ?? 0),
        Interval = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(settings.Interval?.Value ?? TimeSpan.FromSeconds(10)),
        BaseEjectionTime = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(settings.BaseEjectionTime?.Value ?? TimeSpan.FromSeconds(30)),
        MaxEjectionPercent = (uint)(settings.MaxEjectionPercent ?? 10),
    };

    private static ConnectionPool? ConnectionPoolOf(ConnectionPoolSettings? settings) => settings is null ? null : new ConnectionPool
    {
        MaxConnections = (uint)(settings.Tcp?.MaxConnections ?? 0),
        Http1MaxPendingRequests = (uint)(settings.Http?.Http1MaxPendingRequests ?? 0),
        Http2MaxRequests = (uint)(settings.Http?.Http2MaxRequests ?? 0),
        ConnectTimeout = ProtoDuration(settings.Tcp?.ConnectTimeout),
        IdleTimeout = ProtoDuration(settings.Http?.IdleTimeout),
        MaxRequestsPerConnection = (uint)Math.Max(0, settings.Http?.MaxRequestsPerConnection ?? 0),
        MaxConnectionDuration = ProtoDuration(settings.Tcp?.MaxConnectionDuration),
    };

    private static Google.Protobuf.WellKnownTypes.Duration? ProtoDuration(Weft.Config.Model.Duration? duration) =>
        duration is { } value ? Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(value.Value) : null;

    private static ConsistentHash? ConsistentHashOf(ConsistentHashSettings? settings)
    {
        if (settings is null)
        {
            return null;
        }

        var hash = new ConsistentHash();
        if (settings.HttpHeaderName is { } header)
        {
            hash.HeaderName = header.ToLowerInvariant();
        }
        else if (settings.HttpCookie is { } cookie)
        {
            hash.CookieName = cookie.Name;
            hash.CookiePath = cookie.Path ?? "";
            hash.CookieTtl = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(cookie.Ttl?.Value ?? TimeSpan.Zero);
        }
        else if (settings.UseSourceIp == true)
        {
            hash.UseSourceIp = true;
        }
        else
        {
            return null;
        }

        return hash;
    }

    private static LoadBalancer LoadBalancerOf(LoadBalancerSettings? settings) => settings?.Simple switch
    {
        "ROUND_ROBIN" => LoadBalancer.RoundRobin,
        "RANDOM" => LoadBalancer.Random,
        _ => LoadBalancer.LeastRequest,
    };

    private void ValidateDestinations(VirtualService virtualService, CompileResult result)
    {
        for (var r = 0; r < virtualService.Spec.Http.Count; r++)
        {
            var http = virtualService.Spec.Http[r];
            var destinations = http.Route.Select((route, d) => (route.Destination, Path: $"spec.http[{r}].route[{d}].destination")).ToList();
            if (http.Mirror is { } mirrorDestination)
            {
                destinations.Add((mirrorDestination, $"spec.http[{r}].mirror"));
            }

            foreach (var (destination, path) in destinations)
            {
                var fqdn = HostNames.ToFqdn(destination.Host, virtualService.Namespace, _snapshot.Options);
                var service = _services.Find(fqdn);
                if (string.IsNullOrEmpty(destination.Host))
                {
                    result.Error(virtualService, path, "this destination names no host");
                }
                else if (service is null)
                {
                    result.Error(virtualService, $"{path}.host", $"destination host '{destination.Host}' ({fqdn}) matches no Service");
                }
                else if (destination.Port is { } port && service.FindPort(port.Number) is null)
                {
                    result.Error(virtualService, $"{path}.port.number", $"service {fqdn} has no port {port.Number}");
                }
                else if (destination.Port is null && service.Ports.Count > 1)
                {
                    result.Warning(virtualService, path, "IST0112",
                        $"service {fqdn} has several ports ({string.Join(", ", service.Ports.Select(p => p.Port.Port))}) and this destination names none: Weft sends to the port the request arrived on — fix: set port.number");
                }

                if (destination.Subset is { } subset)
                {
                    var rule = _destinationRuleByHost.GetValueOrDefault(fqdn);
                    if (rule is null)
                    {
                        result.Error(virtualService, $"{path}.subset", $"subset '{subset}' is not defined: no DestinationRule for {fqdn}");
                    }
                    else if (!rule.Spec.Subsets.Exists(s => s.Name == subset))
                    {
                        var known = string.Join(", ", rule.Spec.Subsets.Select(s => s.Name));
                        result.Error(virtualService, $"{path}.subset",
                            $"subset '{subset}' is not defined in {rule.Reference} (it defines: {(known.Length == 0 ? "none" : known)})");
                    }
                }
            }
        }
    }

    private static IEnumerable<T> Ordered<T>(IEnumerable<T> resources) where T : Resource =>
        resources.OrderBy(r => r.Metadata.CreationTimestamp ?? "", StringComparer.Ordinal)
            .ThenBy(r => r.Namespace, StringComparer.Ordinal)
            .ThenBy(r => r.Name, StringComparer.Ordinal);
}
