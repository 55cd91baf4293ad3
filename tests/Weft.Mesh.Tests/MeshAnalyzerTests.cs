using Weft.Config.Loading;
using Weft.Mesh.Analysis;
using Weft.Mesh.Model;

namespace Weft.Mesh.Tests;

/// <summary>Each analyzer finding, with a manifest that triggers it and one that does not.</summary>
public sealed class MeshAnalyzerTests
{
    private const string Registry = """
        apiVersion: weft.dev/v1alpha1
        kind: Workload
        metadata: {name: web, namespace: shop, labels: {app: web}}
        spec: {serviceAccount: web, ports: [{port: 9080}], command: [x]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: shop}
        spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 9080}]}
        ---

        """;

    private static List<ConfigDiagnostic> Analyze(string yaml) => MeshAnalyzer.Analyze(ManifestLoader.Load(Registry + yaml, "a.yaml"), new MeshOptions());

    public static TheoryData<string, string?, string> Cases => new()
    {
        // manifest, expected code (null: none), field
        { "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  selector: {matchLabels: {app: nothing}}\n  rules: [{from: [{source: {namespaces: [shop]}}]}]\n", "IST0127", "spec.selector" },
        { "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  rules: [{from: [{source: {namespaces: [shop]}}]}]\n", null, "" },
        { "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p, namespace: shop}\nspec:\n  selector: {matchLabels: {app: nothing}}\n  mtls: {mode: STRICT}\n", "IST0127", "spec.selector" },
        { "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  rules: [{}]\n", "WEFT0202", "spec.rules[0]" },
        { "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  action: DENY\n  rules: [{}]\n", null, "" },
        { "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  rules: [{from: [{source: {principals: ['*']}}]}]\n", "WEFT0202", "spec.rules[0].from[0].source.principals[0]" },
        { "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  rules: [{from: [{source: {principals: [cluster.local/ns/shop/sa/wbe]}}]}]\n", "WEFT0201", "spec.rules[0].from[0].source.principals[0]" },
        { "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  rules: [{from: [{source: {principals: [cluster.local/ns/shop/sa/web]}}]}]\n", null, "" },
        { "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: shop}\nspec:\n  hosts: [web]\n  http:\n  - route: [{destination: {host: web}}]\n  - match: [{uri: {prefix: /a}}]\n    route: [{destination: {host: web}}]\n", "IST0130", "spec.http[1].match[0]" },
        { "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: shop}\nspec:\n  hosts: [web]\n  http:\n  - match: [{uri: {prefix: /a}}]\n    route: [{destination: {host: web}}]\n  - match: [{uri: {prefix: /b}}, {name: again, uri: {prefix: /a}}]\n    route: [{destination: {host: web}}]\n", "IST0131", "spec.http[1].match[1]" },
        { "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: shop}\nspec:\n  hosts: [web]\n  http:\n  - match: [{uri: {prefix: /a}}]\n    route: [{destination: {host: web}}]\n  - route: [{destination: {host: web}}]\n", null, "" },
        { "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: shop}\nspec:\n  hosts: [web]\n  http:\n  - route: [{destination: {host: web}}]\n    timeout: 2s\n    retries: {attempts: 3, perTryTimeout: 1s}\n", "WEFT0203", "spec.http[0].retries" },
        { "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: shop}\nspec:\n  hosts: [web]\n  http:\n  - route: [{destination: {host: web}}]\n    timeout: 5s\n    retries: {attempts: 3, perTryTimeout: 1s}\n", null, "" },
        { "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: shop}\nspec:\n  hosts: [web]\n  http:\n  - route: [{destination: {host: web, subset: v9}}]\n", "IST0101", "spec.http[0].route[0].destination.subset" },
        { "apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: {name: legacy, namespace: shop}\nspec: {command: [x], mesh: false}\n", "WEFT0204", "spec.mesh" },
        { "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d, namespace: shop}\nspec:\n  host: web\n  subsets:\n  - name: v1\n    labels: {app: web}\n    trafficPolicy: {connectionPool: {http: {maxRequestsPerConnection: 10}}}\n", "WEFT0207", "spec.subsets[0].trafficPolicy.connectionPool.http.maxRequestsPerConnection" },
        { "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: strict, namespace: shop}\nspec:\n  mtls: {mode: STRICT}\n", null, "" },
        { "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d, namespace: shop}\nspec:\n  host: web\n  trafficPolicy: {connectionPool: {tcp: {connectTimeout: 250ms, maxConnectionDuration: 60s}, http: {maxRequestsPerConnection: 1, idleTimeout: 30s}}}\n", null, "" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_analyzer_finds_its_problem_and_only_it(string yaml, string? code, string field)
    {
        var findings = Analyze(yaml);

        if (code is null)
        {
            Assert.Empty(findings);
            return;
        }

        var finding = Assert.Single(findings);
        Assert.Equal(code, finding.Code);
        Assert.Equal(field, finding.Field);
        Assert.Equal("a.yaml", finding.Location.File);
        Assert.True(finding.Location.Line > 11, $"line {finding.Location.Line} should point into the analyzed resource");
    }

    [Theory]
    [InlineData("STRICT", "DISABLE", true)]
    [InlineData("STRICT", "SIMPLE", true)]
    [InlineData("STRICT", "ISTIO_MUTUAL", false)]
    [InlineData("DISABLE", "ISTIO_MUTUAL", true)]
    [InlineData("PERMISSIVE", "DISABLE", false)]
    public void A_destination_rule_tls_mode_the_server_refuses_is_flagged(string serverMode, string tlsMode, bool flagged)
    {
        var findings = Analyze($"""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata:
              name: web
              namespace: shop
            spec:
              mtls:
                mode: {serverMode}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: web
              namespace: shop
            spec:
              host: web
              trafficPolicy:
                tls:
                  mode: {tlsMode}
            """);

        var conflict = findings.Where(f => f.Code == "WEFT0209").ToList();
        Assert.Equal(flagged, conflict.Count == 1);
        if (flagged)
        {
            Assert.Equal("spec.trafficPolicy.tls.mode", conflict[0].Field);
            Assert.Contains("shop/web", conflict[0].Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Strict_with_a_workload_that_has_no_sidecar_names_both()
    {
        var findings = Analyze("""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: strict, namespace: shop}
            spec:
              mtls: {mode: STRICT}
            ---
            apiVersion: weft.dev/v1alpha1
            kind: Workload
            metadata: {name: legacy, namespace: other}
            spec: {command: [x], mesh: false}
            """);

        var strict = Assert.Single(findings, f => f.Code == "WEFT0208");
        Assert.Equal("spec.mtls.mode", strict.Field);
        Assert.Contains("other/legacy", strict.Message, StringComparison.Ordinal);
        Assert.Contains("shop/web", strict.Message, StringComparison.Ordinal);
        Assert.Single(findings, f => f.Code == "WEFT0204");
    }

    [Fact]
    public void The_payments_example_is_clean()
    {
        var loaded = new LoadResult();
        foreach (var file in Directory.GetFiles(Weft.Testing.Repository.Example("payments"), "*.yaml"))
        {
            loaded.Add(ManifestLoader.Load(File.ReadAllText(file), file));
        }

        Assert.Empty(MeshAnalyzer.Analyze(loaded, new MeshOptions()));
    }
}
