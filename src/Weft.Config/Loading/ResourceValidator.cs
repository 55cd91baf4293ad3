using System.Text.RegularExpressions;
using Weft.Config.Model;

namespace Weft.Config.Loading;

/// <summary>
/// Checks the values of one resource that the schema alone cannot: enums, ranges, required
/// fields, regexes that compile. Cross-resource checks (does that subset exist?) belong to the
/// mesh compiler, which sees the whole snapshot.
/// </summary>
internal static class ResourceValidator
{
    public static readonly string[] RetryConditions =
    [
        "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "refused-stream", "retriable-4xx",
        "retriable-status-codes", "retriable-headers", "envoy-ratelimited", "http3-post-connect-failure",
        "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
    ];

    private static readonly string[] MtlsModes = ["UNSET", "DISABLE", "PERMISSIVE", "STRICT"];
    private static readonly string[] AuthorizationActions = ["ALLOW", "DENY", "AUDIT", "CUSTOM"];
    private static readonly string[] LoadBalancers = ["UNSPECIFIED", "LEAST_REQUEST", "LEAST_CONN", "ROUND_ROBIN", "RANDOM", "PASSTHROUGH"];

    public static IEnumerable<(string Path, string Message)> Validate(Resource resource) => resource switch
    {
        Workload w => ValidateWorkload(w.Spec),
        Service s => ValidateService(s.Spec),
        VirtualService vs => ValidateVirtualService(vs.Spec),
        DestinationRule dr => ValidateDestinationRule(dr.Spec),
        PeerAuthentication pa => ValidatePeerAuthentication(pa.Spec),
        AuthorizationPolicy ap => ValidateAuthorizationPolicy(ap.Spec),
        RequestAuthentication ra => ValidateRequestAuthentication(ra.Spec),
        HttpRouteResource hr => ValidateHttpRoute(hr.Spec),
        GrpcRouteResource gr => ValidateGrpcRoute(gr.Spec),
        _ => [],
    };

    private static IEnumerable<(string, string)> ValidateWorkload(WorkloadSpec spec)
    {
        if (spec.Command.Count == 0)
        {
            yield return ("spec.command", "command is required: the program the workload runs");
        }

        if (spec.Replicas is < 0 or > 64)
        {
            yield return ("spec.replicas", $"replicas must be between 0 and 64, not {spec.Replicas}");
        }

        for (var i = 0; i < spec.Ports.Count; i++)
        {
            if (spec.Ports[i].Port is < 1 or > 65535)
            {
                yield return ($"spec.ports[{i}].port", $"{spec.Ports[i].Port} is not a port number (1-65535)");
            }
        }

        if (Array.IndexOf(RestartPolicies.All, spec.RestartPolicy) < 0)
        {
            yield return ("spec.restartPolicy", $"unknown restart policy '{spec.RestartPolicy}' (Always, OnFailure or Never)");
        }

        foreach (var error in ValidateProbe(spec, spec.ReadinessProbe, "readinessProbe", successAboveOne: true)
            .Concat(ValidateProbe(spec, spec.LivenessProbe, "livenessProbe", successAboveOne: false))
            .Concat(ValidateProbe(spec, spec.StartupProbe, "startupProbe", successAboveOne: false)))
        {
            yield return error;
        }
    }

    /// <summary>Kubernetes' rules for a probe: one handler, positive periods and thresholds, a port the workload declares.</summary>
    private static IEnumerable<(string, string)> ValidateProbe(WorkloadSpec spec, Probe? probe, string field, bool successAboveOne)
    {
        if (probe is null)
        {
            yield break;
        }

        var path = $"spec.{field}";
        var handlers = (probe.HttpGet is null ? 0 : 1) + (probe.TcpSocket is null ? 0 : 1) + (probe.Exec is null ? 0 : 1);
        if (handlers != 1)
        {
            yield return (path, handlers == 0 ? "a probe needs one of httpGet, tcpSocket or exec" : "a probe may have only one of httpGet, tcpSocket or exec");
        }

        if (probe.InitialDelaySeconds < 0)
        {
            yield return ($"{path}.initialDelaySeconds", $"must be 0 or more, not {probe.InitialDelaySeconds}");
        }

        foreach (var (name, value) in new[] { ("periodSeconds", probe.PeriodSeconds), ("timeoutSeconds", probe.TimeoutSeconds), ("successThreshold", probe.SuccessThreshold), ("failureThreshold", probe.FailureThreshold) })
        {
            if (value < 1)
            {
                yield return ($"{path}.{name}", $"must be 1 or more, not {value}");
            }
        }

        if (!successAboveOne && probe.SuccessThreshold != 1)
        {
            yield return ($"{path}.successThreshold", $"must be 1 for a {field} (as in Kubernetes), not {probe.SuccessThreshold}");
        }

        if (probe.HttpGet is { } http)
        {
            if (!http.Path.StartsWith('/'))
            {
                yield return ($"{path}.httpGet.path", $"'{http.Path}' must start with /");
            }

            if (http.Scheme is not ("HTTP" or "HTTPS"))
            {
                yield return ($"{path}.httpGet.scheme", $"unknown scheme '{http.Scheme}' (HTTP or HTTPS)");
            }

            if (PortProblem(spec, http.Port) is { } problem)
            {
                yield return ($"{path}.httpGet.port", problem);
            }

            for (var i = 0; i < http.HttpHeaders.Count; i++)
            {
                if (http.HttpHeaders[i].Name.Length == 0 || http.HttpHeaders[i].Name.AsSpan().IndexOfAny(" :\r\n") >= 0)
                {
                    yield return ($"{path}.httpGet.httpHeaders[{i}].name", $"'{http.HttpHeaders[i].Name}' is not a header name");
                }
            }
        }

        if (probe.TcpSocket is { } tcp && PortProblem(spec, tcp.Port) is { } tcpProblem)
        {
            yield return ($"{path}.tcpSocket.port", tcpProblem);
        }

        if (probe.Exec is { Command.Count: 0 })
        {
            yield return ($"{path}.exec.command", "command is required: the program whose exit code 0 means success");
        }
    }

    /// <summary>A probe's port is a number, or the name of one of the workload's ports.</summary>
    private static string? PortProblem(WorkloadSpec spec, IntOrString port) => port switch
    {
        { Number: { } n } => n is < 1 or > 65535 ? $"{n} is not a port number (1-65535)" : null,
        { Text: { Length: > 0 } name } => spec.Ports.Exists(p => p.Name == name) ? null : $"the workload has no port named '{name}'",
        _ => "port is required: a port number or the name of one of the workload's ports",
    };

    private static IEnumerable<(string, string)> ValidateService(ServiceSpec spec)
    {
        for (var i = 0; i < spec.Ports.Count; i++)
        {
            var port = spec.Ports[i];
            if (port.Port is < 1 or > 65535)
            {
                yield return ($"spec.ports[{i}].port", $"{port.Port} is not a port number (1-65535)");
            }

            if (port.TargetPort is { Number: { } target } && target is < 1 or > 65535)
            {
                yield return ($"spec.ports[{i}].targetPort", $"{target} is not a port number (1-65535)");
            }
        }

        // A service's virtual IP (transparent mode routes by it): an address, "None" (headless) or left out.
        static bool IsClusterIp(string value) => value is "" or "None" || System.Net.IPAddress.TryParse(value, out _);
        if (spec.ClusterIP is { } clusterIp && !IsClusterIp(clusterIp))
        {
            yield return ("spec.clusterIP", $"'{clusterIp}' is not an IP address or \"None\"");
        }

        for (var i = 0; i < (spec.ClusterIPs?.Count ?? 0); i++)
        {
            if (!IsClusterIp(spec.ClusterIPs![i]))
            {
                yield return ($"spec.clusterIPs[{i}]", $"'{spec.ClusterIPs[i]}' is not an IP address or \"None\"");
            }
        }
    }

    private static IEnumerable<(string, string)> ValidateVirtualService(VirtualServiceSpec spec)
    {
        if (spec.Hosts.Count == 0)
        {
            yield return ("spec.hosts", "at least one host is required");
        }

        for (var r = 0; r < spec.Http.Count; r++)
        {
            var route = spec.Http[r];
            var path = $"spec.http[{r}]";
            if (route.Route.Count == 0 && route.Redirect is null && route.DirectResponse is null && route.Delegate is null)
            {
                yield return ($"{path}.route", "a route needs at least one destination");
            }

            for (var m = 0; m < (route.Match?.Count ?? 0); m++)
            {
                var match = route.Match![m];
                foreach (var error in ValidateStringMatch(match.Uri, $"{path}.match[{m}].uri"))
                {
                    yield return error;
                }

                foreach (var error in ValidateStringMatch(match.Method, $"{path}.match[{m}].method"))
                {
                    yield return error;
                }

                foreach (var (header, value) in match.Headers ?? [])
                {
                    foreach (var error in ValidateStringMatch(value, $"{path}.match[{m}].headers.{header}", allowEmpty: true))
                    {
                        yield return error;
                    }
                }
            }

            for (var d = 0; d < route.Route.Count; d++)
            {
                var destination = route.Route[d];
                if (string.IsNullOrEmpty(destination.Destination.Host))
                {
                    yield return ($"{path}.route[{d}].destination.host", "destination host is required");
                }

                if (destination.Weight is < 0 or > 100)
                {
                    yield return ($"{path}.route[{d}].weight", $"weight must be between 0 and 100, not {destination.Weight}");
                }
            }

            if (route.Route.Count > 1)
            {
                var sum = 0;
                foreach (var destination in route.Route)
                {
                    sum += destination.Weight ?? 0;
                }

                if (sum != 100)
                {
                    yield return ($"{path}.route", $"the weights of a route with several destinations must add up to 100; they add up to {sum}");
                }
            }

            if (route.Redirect is not null && route.Route.Count > 0)
            {
                yield return ($"{path}.redirect", "a route either redirects or routes to destinations, not both");
            }

            if (route.Redirect?.RedirectCode is { } redirectCode && redirectCode is < 300 or > 399)
            {
                yield return ($"{path}.redirect.redirectCode", $"{redirectCode} is not a redirect status (300-399)");
            }

            if (route.Fault?.Abort is { } abort && abort.HttpStatus is not (>= 200 and <= 599))
            {
                yield return ($"{path}.fault.abort.httpStatus", abort.HttpStatus is null ? "httpStatus is required (grpcStatus and http2Error are not implemented)" : $"{abort.HttpStatus} is not an HTTP status (200-599)");
            }

            if (route.Fault?.Delay is { } delay && delay.FixedDelay is null)
            {
                yield return ($"{path}.fault.delay.fixedDelay", "fixedDelay is required");
            }

            foreach (var (field, percent) in new[] { ("fault.delay.percentage", route.Fault?.Delay?.Percentage), ("fault.abort.percentage", route.Fault?.Abort?.Percentage), ("mirrorPercentage", route.MirrorPercentage) })
            {
                if (percent is { Value: < 0 or > 100 })
                {
                    yield return ($"{path}.{field}.value", $"{percent.Value} is not a percentage (0-100)");
                }
            }

            if (route.Retries is { } retries)
            {
                if (retries.Attempts < 0)
                {
                    yield return ($"{path}.retries.attempts", "attempts must not be negative");
                }

                foreach (var condition in (retries.RetryOn ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (Array.IndexOf(RetryConditions, condition) < 0 && !(int.TryParse(condition, out var code) && code is >= 100 and <= 599))
                    {
                        yield return ($"{path}.retries.retryOn", $"unknown retry condition '{condition}'; use {string.Join(", ", RetryConditions)} or a status code");
                    }
                }
            }
        }
    }

    private static IEnumerable<(string, string)> ValidateStringMatch(StringMatch? match, string path, bool allowEmpty = false)
    {
        if (match is null)
        {
            yield break;
        }

        var count = (match.Exact is null ? 0 : 1) + (match.Prefix is null ? 0 : 1) + (match.Regex is null ? 0 : 1);
        if (count > 1 || (count == 0 && !allowEmpty))
        {
            yield return (path, "exactly one of exact, prefix or regex is required");
        }

        if (match.Regex is { } regex && !IsValidRegex(regex))
        {
            yield return ($"{path}.regex", $"'{regex}' is not a valid regular expression");
        }
    }

    private static bool IsValidRegex(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static IEnumerable<(string, string)> ValidateDestinationRule(DestinationRuleSpec spec)
    {
        if (string.IsNullOrEmpty(spec.Host))
        {
            yield return ("spec.host", "host is required");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < spec.Subsets.Count; i++)
        {
            var subset = spec.Subsets[i];
            if (string.IsNullOrEmpty(subset.Name))
            {
                yield return ($"spec.subsets[{i}].name", "subset name is required");
            }
            else if (!names.Add(subset.Name))
            {
                yield return ($"spec.subsets[{i}].name", $"subset '{subset.Name}' is defined twice");
            }

            foreach (var error in ValidateTrafficPolicy(subset.TrafficPolicy, $"spec.subsets[{i}].trafficPolicy"))
            {
                yield return error;
            }
        }

        foreach (var error in ValidateTrafficPolicy(spec.TrafficPolicy, "spec.trafficPolicy"))
        {
            yield return error;
        }
    }

    private static IEnumerable<(string, string)> ValidateTrafficPolicy(TrafficPolicy? policy, string path)
    {
        if (policy?.OutlierDetection is { } outlier)
        {
            if (outlier.MaxEjectionPercent is < 0 or > 100)
            {
                yield return ($"{path}.outlierDetection.maxEjectionPercent", $"{outlier.MaxEjectionPercent} is not a percentage (0-100)");
            }

            if (outlier.Consecutive5xxErrors is < 0 || outlier.ConsecutiveGatewayErrors is < 0)
            {
                yield return ($"{path}.outlierDetection", "consecutive error counts must not be negative");
            }
        }

        if (policy?.ConnectionPool is { } pool && (pool.Tcp?.MaxConnections is < 0 || pool.Http?.Http1MaxPendingRequests is < 0 || pool.Http?.Http2MaxRequests is < 0))
        {
            yield return ($"{path}.connectionPool", "limits must not be negative");
        }

        if (policy?.LoadBalancer is { Simple: not null, ConsistentHash: not null })
        {
            yield return ($"{path}.loadBalancer", "simple and consistentHash are alternatives: set one");
        }

        if (policy?.LoadBalancer?.Simple is { } simple && Array.IndexOf(LoadBalancers, simple) < 0)
        {
            yield return ($"{path}.loadBalancer.simple", $"unknown load balancer '{simple}'; use {string.Join(", ", LoadBalancers)}");
        }
    }

    private static IEnumerable<(string, string)> ValidatePeerAuthentication(PeerAuthenticationSpec spec)
    {
        if (spec.Mtls?.Mode is { } mode && Array.IndexOf(MtlsModes, mode) < 0)
        {
            yield return ("spec.mtls.mode", $"unknown mode '{mode}'; use {string.Join(", ", MtlsModes)}");
        }

        foreach (var (port, mtls) in spec.PortLevelMtls ?? [])
        {
            if (!int.TryParse(port, out var number) || number is < 1 or > 65535)
            {
                yield return ($"spec.portLevelMtls.{port}", $"'{port}' is not a port number");
            }

            if (mtls.Mode is { } portMode && Array.IndexOf(MtlsModes, portMode) < 0)
            {
                yield return ($"spec.portLevelMtls.{port}.mode", $"unknown mode '{portMode}'; use {string.Join(", ", MtlsModes)}");
            }
        }

        if (spec.PortLevelMtls is { Count: > 0 } && spec.Selector is null)
        {
            yield return ("spec.portLevelMtls", "portLevelMtls needs a workload selector (as in Istio)");
        }
    }

    private static IEnumerable<(string, string)> ValidateAuthorizationPolicy(AuthorizationPolicySpec spec)
    {
        if (spec.Action is { } action && Array.IndexOf(AuthorizationActions, action) < 0)
        {
            yield return ("spec.action", $"unknown action '{action}'; use {string.Join(", ", AuthorizationActions)}");
        }

        for (var r = 0; r < (spec.Rules?.Count ?? 0); r++)
        {
            var rule = spec.Rules![r];
            for (var t = 0; t < (rule.To?.Count ?? 0); t++)
            {
                var operation = rule.To![t].Operation;
                foreach (var (field, ports) in new[] { ("ports", operation.Ports), ("notPorts", operation.NotPorts) })
                {
                    for (var p = 0; p < (ports?.Count ?? 0); p++)
                    {
                        if (!int.TryParse(ports![p], out var port) || port is < 1 or > 65535)
                        {
                            yield return ($"spec.rules[{r}].to[{t}].operation.{field}[{p}]", $"'{ports[p]}' is not a port number");
                        }
                    }
                }
            }

            for (var w = 0; w < (rule.When?.Count ?? 0); w++)
            {
                var key = rule.When![w].Key;
                if (!IsSupportedConditionKey(key) && !IsIstioConditionKey(key))
                {
                    yield return ($"spec.rules[{r}].when[{w}].key",
                        $"condition key '{key}' is not supported; use request.headers[NAME], source.ip, remote.ip, source.namespace, source.principal, destination.port, request.auth.principal, request.auth.audiences, request.auth.presenter or request.auth.claims[NAME]");
                }
            }

            for (var f = 0; f < (rule.From?.Count ?? 0); f++)
            {
                var source = rule.From![f].Source;
                foreach (var (field, blocks) in new[] { ("ipBlocks", source.IpBlocks), ("notIpBlocks", source.NotIpBlocks), ("remoteIpBlocks", source.RemoteIpBlocks), ("notRemoteIpBlocks", source.NotRemoteIpBlocks) })
                {
                    for (var b = 0; b < (blocks?.Count ?? 0); b++)
                    {
                        if (!IsAddressOrBlock(blocks![b]))
                        {
                            yield return ($"spec.rules[{r}].from[{f}].source.{field}[{b}]", $"'{blocks[b]}' is not an IP address or CIDR block");
                        }
                    }
                }
            }
        }
    }

    private static readonly string[] PathTypes = ["Exact", "PathPrefix", "RegularExpression"];
    private static readonly string[] ValueTypes = ["Exact", "RegularExpression"];
    private static readonly string[] FilterTypes = ["RequestHeaderModifier", "ResponseHeaderModifier", "URLRewrite", "RequestRedirect", "RequestMirror"];

    private static IEnumerable<(string, string)> ValidateHttpRoute(HttpRouteSpec spec)
    {
        if (spec.ParentRefs.Count == 0)
        {
            yield return ("spec.parentRefs", "at least one parentRef is required (a Service, for mesh traffic)");
        }

        for (var r = 0; r < spec.Rules.Count; r++)
        {
            var rule = spec.Rules[r];
            var path = $"spec.rules[{r}]";
            for (var m = 0; m < (rule.Matches?.Count ?? 0); m++)
            {
                var match = rule.Matches![m];
                if (match.Path?.Type is { } type && Array.IndexOf(PathTypes, type) < 0)
                {
                    yield return ($"{path}.matches[{m}].path.type", $"unknown path match type '{type}'; use {string.Join(", ", PathTypes)}");
                }

                if (match.Path is { Type: "RegularExpression", Value: { } regex } && !IsValidRegex(regex))
                {
                    yield return ($"{path}.matches[{m}].path.value", $"'{regex}' is not a valid regular expression");
                }

                foreach (var (field, values) in new[] { ("headers", match.Headers), ("queryParams", match.QueryParams) })
                {
                    for (var h = 0; h < (values?.Count ?? 0); h++)
                    {
                        if (values![h].Type is { } valueType && Array.IndexOf(ValueTypes, valueType) < 0)
                        {
                            yield return ($"{path}.matches[{m}].{field}[{h}].type", $"unknown match type '{valueType}'; use {string.Join(", ", ValueTypes)}");
                        }
                    }
                }
            }

            for (var b = 0; b < (rule.BackendRefs?.Count ?? 0); b++)
            {
                if (rule.BackendRefs![b].Weight is < 0)
                {
                    yield return ($"{path}.backendRefs[{b}].weight", "weight must not be negative");
                }
            }

            for (var f = 0; f < (rule.Filters?.Count ?? 0); f++)
            {
                var filter = rule.Filters![f];
                if (Array.IndexOf(FilterTypes, filter.Type) < 0)
                {
                    yield return ($"{path}.filters[{f}].type", $"filter type '{filter.Type}' is not supported; use {string.Join(", ", FilterTypes)}");
                }
            }
        }
    }

    private static IEnumerable<(string, string)> ValidateGrpcRoute(GrpcRouteSpec spec)
    {
        if (spec.ParentRefs.Count == 0)
        {
            yield return ("spec.parentRefs", "at least one parentRef is required (a Service, for mesh traffic)");
        }

        for (var r = 0; r < spec.Rules.Count; r++)
        {
            for (var m = 0; m < (spec.Rules[r].Matches?.Count ?? 0); m++)
            {
                if (spec.Rules[r].Matches![m].Method?.Type is { } type && Array.IndexOf(ValueTypes, type) < 0)
                {
                    yield return ($"spec.rules[{r}].matches[{m}].method.type", $"unknown method match type '{type}'; use {string.Join(", ", ValueTypes)}");
                }
            }
        }
    }

    /// <summary>
    /// Valid values of Istio's schema that Weft does not act on yet, as (field, message): reported
    /// as warnings, like unimplemented fields.
    /// </summary>
    public static IEnumerable<(string Path, string Message)> NotImplementedValues(Resource resource)
    {
        if (resource is not AuthorizationPolicy policy)
        {
            yield break;
        }

        var allow = policy.Spec.Action is null or "ALLOW";
        for (var r = 0; r < (policy.Spec.Rules?.Count ?? 0); r++)
        {
            var when = policy.Spec.Rules![r].When ?? [];
            for (var w = 0; w < when.Count; w++)
            {
                if (!IsSupportedConditionKey(when[w].Key) && IsIstioConditionKey(when[w].Key))
                {
                    yield return ($"spec.rules[{r}].when[{w}].key",
                        $"condition key '{when[w].Key}' is not implemented by Weft yet: the rule {(allow ? "never matches (an ALLOW rule fails closed)" : "matches regardless of it (a DENY or AUDIT rule fails closed)")}");
                }
            }
        }
    }

    /// <summary>Istio's condition keys (valid in an AuthorizationPolicy) beyond those Weft evaluates.</summary>
    private static bool IsIstioConditionKey(string key) =>
        key is "remote.ip" or "request.auth.principal" or "request.auth.audiences" or "request.auth.presenter" or "destination.ip" or "connection.sni"
        || (key.StartsWith("request.auth.claims[", StringComparison.Ordinal) && key.EndsWith(']'))
        || key.StartsWith("experimental.envoy.filters.", StringComparison.Ordinal);

    public static bool IsSupportedConditionKey(string key) =>
        key is "source.ip" or "remote.ip" or "source.namespace" or "source.principal" or "destination.port"
            or "request.auth.principal" or "request.auth.audiences" or "request.auth.presenter"
        || IsBracketed(key, "request.headers[")
        || IsBracketed(key, "request.auth.claims[");

    private static bool IsBracketed(string key, string prefix) =>
        key.StartsWith(prefix, StringComparison.Ordinal) && key.EndsWith(']') && key.Length > prefix.Length + 1;

    private static IEnumerable<(string, string)> ValidateRequestAuthentication(RequestAuthenticationSpec spec)
    {
        for (var i = 0; i < spec.JwtRules.Count; i++)
        {
            var rule = spec.JwtRules[i];
            var path = $"spec.jwtRules[{i}]";
            if (string.IsNullOrWhiteSpace(rule.Issuer))
            {
                yield return ($"{path}.issuer", "issuer is required: the iss claim the tokens carry");
            }

            if (rule.Jwks is { } jwks && !IsKeySet(jwks))
            {
                yield return ($"{path}.jwks", "jwks is not a JSON Web Key Set: expected a JSON object with a \"keys\" array");
            }
            else if (rule.Jwks is null && rule.JwksUri is null)
            {
                yield return ($"{path}.jwksUri", "the rule needs its keys: set jwks (inline) or jwksUri (http, https or file)");
            }

            if (rule.Jwks is null && rule.JwksUri is { } uri
                && !(Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https" or "file"))
            {
                yield return ($"{path}.jwksUri", $"'{uri}' is not an http, https or file URI");
            }

            for (var h = 0; h < (rule.FromHeaders?.Count ?? 0); h++)
            {
                if (string.IsNullOrWhiteSpace(rule.FromHeaders![h].Name))
                {
                    yield return ($"{path}.fromHeaders[{h}].name", "a header name is required");
                }
            }
        }
    }

    private static bool IsKeySet(string jwks)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(jwks);
            return document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && document.RootElement.TryGetProperty("keys", out var keys) && keys.ValueKind == System.Text.Json.JsonValueKind.Array;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static bool IsAddressOrBlock(string text) =>
        text.Contains('/') ? System.Net.IPNetwork.TryParse(text, out _) : System.Net.IPAddress.TryParse(text, out _);
}
