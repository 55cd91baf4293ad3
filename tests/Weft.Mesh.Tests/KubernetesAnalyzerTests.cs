using Weft.Config.Loading;
using Weft.Mesh.Analysis;
using Weft.Mesh.Model;

namespace Weft.Mesh.Tests;

/// <summary>
/// The checks Weft shares with Istio's analyzers (same code, same condition), each with a manifest
/// that triggers it and one that does not. Only Istio-coded findings are compared.
/// </summary>
public sealed class KubernetesAnalyzerTests
{
    private const string Shop = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop, labels: {istio-injection: enabled}}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop}
        spec:
          template:
            metadata: {labels: {app: web, version: v1}}
            spec: {containers: [{name: web, image: w, ports: [{containerPort: 8080}]}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: shop}
        spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}
        ---

        """;

    private static string Vs(string name, string ns, string hosts, string extra = "") =>
        $"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  hosts: {hosts}\n{extra}  http:\n  - route: [{{destination: {{host: web.shop.svc.cluster.local}}}}]\n---\n";

    public static TheoryData<string, string[]> Cases => new()
    {
        // manifests after the shop registry, expected "CODE Kind ns/name field" findings with an IST code
        { Vs("a", "shop", "[web]") + Vs("b", "shop", "[web.shop.svc.cluster.local]"), ["IST0109 VirtualService shop/a spec.hosts[0]", "IST0109 VirtualService shop/b spec.hosts[0]"] },
        { Vs("a", "shop", "[web]") + Vs("b", "shop", "[web]", "  gateways: [ingress]\n"), [] },
        { Vs("a", "shop", "[web]", "  exportTo: ['.']\n") + Vs("b", "other", "[web.shop.svc.cluster.local]", "  exportTo: ['.']\n"), [] },
        { Vs("a", "shop", "[web]", "  exportTo: ['.']\n") + Vs("b", "other", "[web.shop.svc.cluster.local]"), ["IST0109 VirtualService shop/a spec.hosts[0]", "IST0109 VirtualService other/b spec.hosts[0]"] },
        { "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: shop}\nspec:\n  hosts: [web]\n  http:\n  - match: [{uri: {prefix: /api}}]\n    route: [{destination: {host: web}}]\n  - match: [{uri: {prefix: /api/v2}, method: {exact: GET}}]\n    route: [{destination: {host: web}}]\n", ["IST0131 VirtualService shop/v spec.http[1].match[0]"] },
        { "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: shop}\nspec:\n  hosts: [web]\n  http:\n  - match: [{uri: {prefix: /api}, method: {exact: POST}}]\n    route: [{destination: {host: web}}]\n  - match: [{uri: {prefix: /api/v2}, method: {exact: GET}}]\n    route: [{destination: {host: web}}]\n", [] },
        { "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: shop}\nspec:\n  hosts: [web]\n  http:\n  - route: [{destination: {host: web}}]\n  - route: [{destination: {host: web}}]\n", ["IST0130 VirtualService shop/v spec.http[1]"] },
        { "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: shop}\nspec:\n  hosts: [web]\n  tcp:\n  - match: [{port: 9000}]\n    route: [{destination: {host: web}}]\n  - match: [{port: 9000}]\n    route: [{destination: {host: web}}]\n", ["IST0131 VirtualService shop/v spec.tcp[1].match[0]", "IST0130 VirtualService shop/v spec.tcp[1]"] },
        { "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: empty}\nspec: {action: DENY, rules: [{}]}\n", ["IST0127 AuthorizationPolicy empty/p metadata.namespace"] },
        { "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  selector: {matchLabels: {version: v2}}\n  rules: [{from: [{source: {namespaces: [shop]}}]}]\n", ["IST0127 AuthorizationPolicy shop/p spec.selector"] },
        { "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  rules: [{from: [{source: {namespaces: [sh*, '*op', '*', nope-*], notNamespaces: [shops]}}]}]\n", ["IST0101 AuthorizationPolicy shop/p spec.rules[0].from[0].source.namespaces[3]", "IST0101 AuthorizationPolicy shop/p spec.rules[0].from[0].source.notNamespaces[0]"] },
        { "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\nspec:\n  ports: [{port: 5432}, {name: mysql, port: 3307}, {port: 3306}, {name: dns, port: 53, protocol: UDP}, {name: web, port: 81, appProtocol: http}]\n", ["IST0118 Service shop/db spec.ports[0]"] },
        { "apiVersion: v1\nkind: Service\nmetadata: {name: ext, namespace: shop}\nspec: {type: ExternalName, externalName: example.com, ports: [{name: tcp, port: 443}, {name: https, port: 8443}]}\n", ["IST0150 Service shop/ext spec.ports[0]"] },
        { "apiVersion: v1\nkind: Service\nmetadata: {name: web-tcp, namespace: shop}\nspec: {selector: {app: web}, ports: [{name: tcp, port: 80, protocol: TCP}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web-udp, namespace: shop}\nspec: {selector: {app: web}, ports: [{name: udp, port: 80, protocol: UDP, targetPort: 8080}]}\n", ["IST0116 Deployment shop/web metadata.name"] },
        { "apiVersion: v1\nkind: Service\nmetadata: {name: web-admin, namespace: shop}\nspec: {selector: {app: web}, ports: [{name: http, port: 9090, targetPort: 8080}]}\n", ["IST0137 Deployment shop/web metadata.name"] },
        { "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d, namespace: shop}\nspec:\n  host: web\n  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]\n", ["IST0173 DestinationRule shop/d spec.subsets[1].labels"] },
        { "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d, namespace: shop}\nspec: {host: nothing}\n", ["IST0174 DestinationRule shop/d spec.host"] },
        { "apiVersion: v1\nkind: Service\nmetadata: {name: two, namespace: shop}\nspec: {selector: {app: web}, ports: [{name: http, port: 8080}, {name: http-admin, port: 9090}]}\n---\n" + Vs("v", "shop", "[web]").Replace("web.shop.svc.cluster.local", "two", StringComparison.Ordinal), ["IST0112 VirtualService shop/v spec.http[0].route[0].destination", "IST0137 Deployment shop/web metadata.name"] },
        { "apiVersion: v1\nkind: Namespace\nmetadata: {name: plain}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: both, labels: {istio-injection: enabled, istio.io/rev: canary}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: bare, namespace: shop}\nspec: {containers: [{name: a, image: a}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: off, namespace: shop, labels: {sidecar.istio.io/inject: 'false'}}\nspec: {containers: [{name: a, image: a}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: meshed, namespace: shop}\nspec: {containers: [{name: a, image: a}, {name: istio-proxy, image: p}]}\n", ["IST0102 Namespace plain metadata.name", "IST0123 Namespace both metadata.labels", "IST0103 Pod shop/bare spec.containers"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_check_reports_istios_code_where_istio_does(string yaml, string[] expected)
    {
        var findings = MeshAnalyzer.Analyze(ManifestLoader.Load(Shop + yaml, "k.yaml"), new MeshOptions());

        var actual = findings.Where(f => f.Code.StartsWith("IST", StringComparison.Ordinal)).Select(f => $"{f.Code} {f.Resource} {f.Field}");
        Assert.Equal(expected.Order(StringComparer.Ordinal), actual.Order(StringComparer.Ordinal));
        Assert.All(findings.Where(f => f.Code.StartsWith("IST", StringComparison.Ordinal)), f => Assert.True(f.Location.Line > 0, f.ToString()));
    }

    [Fact]
    public void The_registry_alone_is_clean()
    {
        Assert.Empty(MeshAnalyzer.Analyze(ManifestLoader.Load(Shop, "k.yaml"), new MeshOptions()));
    }
}
