using Weft.Config.Loading;
using Weft.Protocol.V1;

namespace Weft.Mesh.Tests;

/// <summary>Each VirtualService http[] feature compiled into the proxy's route, one field at a time.</summary>
public sealed class VirtualServiceFeatureCompilerTests
{
    private const string Registry = """
        apiVersion: weft.dev/v1alpha1
        kind: Workload
        metadata: {name: client, namespace: shop, labels: {app: client}}
        spec: {ports: [{port: 9080}], command: [x]}
        ---
        apiVersion: weft.dev/v1alpha1
        kind: Workload
        metadata: {name: other, namespace: shop, labels: {app: other}}
        spec: {ports: [{port: 9080}], command: [x]}
        ---
        apiVersion: weft.dev/v1alpha1
        kind: Workload
        metadata: {name: web, namespace: shop, labels: {app: web}}
        spec: {ports: [{port: 9080}], command: [x]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: shop}
        spec: {selector: {app: web}, ports: [{port: 80, targetPort: 9080}, {name: alt, port: 8080, targetPort: 9080}]}
        """;

    private static Route CompileRoute(string rule, string client = "shop/client", int port = 80)
    {
        var yaml = Registry + $$$"""

            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: web, namespace: shop}
            spec:
              hosts: [web]
              http:
              - {{{rule}}}
              - route: [{destination: {host: web}}]
            """;
        var result = TestMesh.Compile(yaml, "vs.yaml");
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        return result.Proxies[client].Outbound.Single(h => h.Port == port).Routes[0];
    }

    [Fact]
    public void Fault_delay_and_abort_with_percentages()
    {
        var route = CompileRoute("{fault: {delay: {fixedDelay: 2s, percentage: {value: 25}}, abort: {httpStatus: 418}}, route: [{destination: {host: web}}]}");
        Assert.Equal(TimeSpan.FromSeconds(2), route.Fault.Delay.ToTimeSpan());
        Assert.Equal(25, route.Fault.DelayPercent);
        Assert.Equal(418u, route.Fault.AbortStatus);
        Assert.Equal(100, route.Fault.AbortPercent); // absent percentage = every request
    }

    [Fact]
    public void Header_operations_with_lower_cased_names()
    {
        var route = CompileRoute("{headers: {request: {set: {X-A: '1'}, add: {x-b: '2'}, remove: [X-C]}, response: {set: {x-d: '4'}}}, route: [{destination: {host: web}}]}");
        Assert.Equal("1", route.RequestHeaders.Set["x-a"]);
        Assert.Equal("2", route.RequestHeaders.Add["x-b"]);
        Assert.Equal(["x-c"], route.RequestHeaders.Remove);
        Assert.Equal("4", route.ResponseHeaders.Set["x-d"]);
    }

    [Fact]
    public void Each_destination_carries_its_own_header_operations()
    {
        var route = CompileRoute("{route: [{destination: {host: web}, weight: 60, headers: {request: {set: {x-a: '1'}}, response: {add: {x-b: '2'}}}}, {destination: {host: web}, weight: 40}]}");
        Assert.Equal("1", route.Destinations[0].RequestHeaders.Set["x-a"]);
        Assert.Equal("2", route.Destinations[0].ResponseHeaders.Add["x-b"]);
        Assert.Null(route.Destinations[1].RequestHeaders);
        Assert.Null(route.RequestHeaders);
    }

    [Fact]
    public void Rewrite_and_redirect()
    {
        var rewrite = CompileRoute("{match: [{uri: {prefix: /api}}], rewrite: {uri: /v2, authority: internal}, route: [{destination: {host: web}}]}");
        var redirect = CompileRoute("{redirect: {uri: /new, authority: elsewhere, port: 8443, scheme: https}}");

        Assert.Equal(("/v2", "internal"), (rewrite.Rewrite.Uri, rewrite.Rewrite.Authority));
        Assert.Equal(("/new", "elsewhere", 8443u, "https", 301u), (redirect.Redirect.Uri, redirect.Redirect.Authority, redirect.Redirect.Port, redirect.Redirect.Scheme, redirect.Redirect.Code));
        Assert.Empty(redirect.Destinations);
    }

    [Fact]
    public void Mirror_becomes_a_cluster_and_a_share()
    {
        var route = CompileRoute("{route: [{destination: {host: web}}], mirror: {host: web, port: {number: 8080}}, mirrorPercentage: {value: 5}}");
        Assert.Equal(("outbound|8080||web.shop.svc.cluster.local", 5.0), (route.Mirror.Cluster, route.Mirror.Percent));
    }

    [Fact]
    public void Query_parameters_and_without_headers()
    {
        var route = CompileRoute("{match: [{queryParams: {v: {exact: '2'}}, withoutHeaders: {x-skip: {}}}], route: [{destination: {host: web}}]}");
        var match = Assert.Single(route.Matches);
        Assert.Equal(("v", "2"), (match.QueryParams[0].Name, match.QueryParams[0].Value.Exact));
        Assert.Equal("x-skip", Assert.Single(match.WithoutHeaders).Name);
    }

    [Theory]
    [InlineData(80, "default")] // the port-8080 rule is left out of port 80's routes
    [InlineData(8080, "http[0]")]
    public void A_port_match_applies_only_to_that_service_port(int port, string firstRoute)
    {
        var route = CompileRoute("{match: [{port: 8080}], route: [{destination: {host: web}}]}", port: port);
        Assert.Equal(firstRoute == "default" ? "http[1]" : firstRoute, route.Name);
    }

    [Theory]
    [InlineData("shop/client", "http[0]")]
    [InlineData("shop/other", "http[1]")]
    public void Source_labels_decide_which_clients_get_the_rule(string client, string firstRoute)
    {
        var route = CompileRoute("{match: [{sourceLabels: {app: client}}], route: [{destination: {host: web}}]}", client);
        Assert.Equal(firstRoute, route.Name);
    }

    [Theory]
    [InlineData("{redirect: {uri: /x}, route: [{destination: {host: web}}]}", "spec.http[0].redirect", "either redirects or routes")]
    [InlineData("{fault: {abort: {httpStatus: 503, percentage: {value: 120}}}, route: [{destination: {host: web}}]}", "spec.http[0].fault.abort.percentage.value", "not a percentage")]
    [InlineData("{redirect: {uri: /x, redirectCode: 200}}", "spec.http[0].redirect.redirectCode", "not a redirect status")]
    public void Invalid_values_are_reported_with_their_field(string rule, string field, string message)
    {
        var yaml = $"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: web, namespace: shop}}\nspec:\n  hosts: [web]\n  http:\n  - {rule}\n";
        var error = Assert.Single(ManifestLoader.Load(yaml, "vs.yaml").Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(field, error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
