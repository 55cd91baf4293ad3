using Weft.Config.Loading;
using Weft.Mesh.Compilation;
using Weft.Protocol.V1;

namespace Weft.Mesh.Tests;

/// <summary>Gateway API HTTPRoutes attached to a Service, compiled into proxy routes.</summary>
public sealed class HttpRouteCompilerTests
{
    private const string Registry = """
        apiVersion: weft.dev/v1alpha1
        kind: Workload
        metadata: {name: web, namespace: shop, labels: {app: web}}
        spec: {ports: [{port: 9080}], command: [x]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: shop}
        spec: {selector: {app: web}, ports: [{port: 80, targetPort: 9080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web-canary, namespace: shop}
        spec: {selector: {app: web}, ports: [{port: 80, targetPort: 9080}]}
        """;

    private static CompileResult Compile(string extra) => TestMesh.Compile(Registry + "\n---\n" + extra, "route.yaml");

    private static IReadOnlyList<Route> Routes(CompileResult result) =>
        result.Proxies["shop/web"].Outbound.Single(h => h.ServiceName == "web").Routes;

    private const string Header = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: shop}\nspec:\n  parentRefs: [{kind: Service, name: web}]\n  rules:\n";

    [Fact]
    public void Matches_are_ordered_by_gateway_api_precedence()
    {
        var routes = Routes(Compile(Header + """
              - matches: [{path: {type: PathPrefix, value: /a}}]
                backendRefs: [{name: web, port: 80}]
              - matches: [{path: {type: PathPrefix, value: /a/b}}]
                backendRefs: [{name: web, port: 80}]
              - matches: [{path: {type: Exact, value: /a/b/c}}]
                backendRefs: [{name: web, port: 80}]
              - matches: [{path: {type: PathPrefix, value: /a}, headers: [{name: x, value: "1"}]}]
                backendRefs: [{name: web, port: 80}]
            """));

        Assert.Equal(["rules[2]", "rules[1]", "rules[3]", "rules[0]"], routes.Select(r => r.Name));
    }

    [Fact]
    public void Relative_weights_become_percentages()
    {
        var route = Assert.Single(Routes(Compile(Header + """
              - backendRefs: [{name: web, port: 80, weight: 3}, {name: web-canary, port: 80, weight: 1}]
            """)));

        Assert.Equal([75u, 25u], route.Destinations.Select(d => d.Weight));
        Assert.Equal("/", route.Matches[0].Uri.Prefix); // a rule without matches matches every path
    }

    [Fact]
    public void Backend_header_filters_apply_to_their_backend_and_other_backend_filters_are_reported()
    {
        var result = Compile(Header + """
              - backendRefs:
                - name: web
                  port: 80
                  filters:
                  - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-backend, value: web}]}}
                  - {type: ResponseHeaderModifier, responseHeaderModifier: {remove: [server]}}
                  - {type: URLRewrite, urlRewrite: {hostname: elsewhere}}
                - {name: web-canary, port: 80}
            """);
        var route = Assert.Single(Routes(result));
        Assert.Equal("web", route.Destinations[0].RequestHeaders.Set["x-backend"]);
        Assert.Equal(["server"], route.Destinations[0].ResponseHeaders.Remove);
        Assert.Null(route.Destinations[1].RequestHeaders);
        var warning = Assert.Single(result.Diagnostics, d => d.Code == DiagnosticCodes.UnsupportedField);
        Assert.Equal("spec.rules[0].backendRefs[0].filters[2].type", warning.Field);
    }

    [Fact]
    public void A_path_prefix_is_a_segment_prefix()
    {
        var route = Assert.Single(Routes(Compile(Header + "  - matches: [{path: {value: /api}}]\n    backendRefs: [{name: web, port: 80}]\n")));
        Assert.Equal(@"/api(/.*)?", route.Matches[0].Uri.Regex);
    }

    [Fact]
    public void A_virtual_service_for_the_same_service_wins_with_a_warning()
    {
        var result = Compile(Header + "  - backendRefs: [{name: web-canary, port: 80}]\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: web, namespace: shop}\nspec:\n  hosts: [web]\n  http: [{route: [{destination: {host: web}}]}]\n");

        Assert.Equal("shop/web", Assert.Single(Routes(result)).Source);
        Assert.Contains(result.Diagnostics, d => d.Code == "WEFT0103" && d.Message.Contains("VirtualService shop/web", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_backend_is_an_error_with_its_line()
    {
        var result = Compile(Header + "  - backendRefs: [{name: nowhere, port: 80}]\n");

        var error = Assert.Single(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal("spec.rules[0].backendRefs[0].name", error.Field);
        Assert.Contains("nowhere", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gateway_parent_is_reported_as_unsupported()
    {
        var result = Compile("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: shop}\nspec:\n  parentRefs: [{name: my-gateway}]\n  rules: [{backendRefs: [{name: web, port: 80}]}]\n");

        Assert.Contains(result.Diagnostics, d => d.Code == "WEFT0102");
        Assert.Equal("default", Assert.Single(Routes(result)).Source);
    }

    [Theory]
    [InlineData("{service: pkg.Echo, method: Say}", null, "/pkg.Echo/Say", null)]
    [InlineData("{service: pkg.Echo}", "/pkg.Echo/", null, null)]
    [InlineData("{method: Say}", null, null, "/[^/]+/Say")]
    [InlineData("{type: RegularExpression, service: 'pkg\\..*', method: 'S.*'}", null, null, "/pkg\\..*/S.*")]
    public void Grpc_methods_become_paths(string method, string? prefix, string? exact, string? regex)
    {
        var route = Routes(Compile($"apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {{name: g, namespace: shop}}\nspec:\n  parentRefs: [{{kind: Service, name: web}}]\n  rules:\n  - matches: [{{method: {method}}}]\n    backendRefs: [{{name: web-canary, port: 80}}]\n"))[0];

        Assert.Equal((prefix ?? "", exact ?? "", regex ?? ""), (route.Matches[0].Uri.Prefix, route.Matches[0].Uri.Exact, route.Matches[0].Uri.Regex));
        Assert.Equal("outbound|80||web-canary.shop.svc.cluster.local", Assert.Single(route.Destinations).Cluster);
    }
}
