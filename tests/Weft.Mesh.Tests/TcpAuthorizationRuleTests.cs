using Weft.Config.Loading;
using Weft.Mesh.Analysis;
using Weft.Mesh.Model;

namespace Weft.Mesh.Tests;

/// <summary>
/// WEFT0205/WEFT0206: AuthorizationPolicy rules with HTTP-only attributes on a workload's TCP port,
/// where Istio's L4 rule (which the proxy applies) turns a DENY into "deny all" and an ALLOW into
/// "never matches".
/// </summary>
public sealed class TcpAuthorizationRuleTests
{
    private const string Registry = """
        apiVersion: weft.dev/v1alpha1
        kind: Workload
        metadata: {name: db, namespace: data, labels: {app: db}}
        spec: {serviceAccount: db, ports: [{name: tcp-postgres, port: 5432}, {name: http, port: 8080}], command: [x]}
        ---
        apiVersion: weft.dev/v1alpha1
        kind: Workload
        metadata: {name: web, namespace: data, labels: {app: web}}
        spec: {serviceAccount: web, ports: [{name: http, port: 9080}], command: [x]}
        ---

        """;

    private static string Policy(string action, string rules, string selector = "app: db") =>
        $"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: p, namespace: data}}\nspec:\n  action: {action}\n  selector: {{matchLabels: {{{selector}}}}}\n  rules:\n{rules}";

    public static TheoryData<string, string?, string> Cases => new()
    {
        // policy, expected code (null: none), a fragment of the message
        { Policy("DENY", "  - to: [{operation: {methods: [DELETE]}}]\n"), "WEFT0205", "data/db:5432" },
        { Policy("DENY", "  - to: [{operation: {paths: [/admin], ports: ['5432']}}]\n"), "WEFT0205", "paths" },
        { Policy("DENY", "  - when: [{key: 'request.headers[x-debug]', values: ['1']}]\n"), "WEFT0205", "request.headers[x-debug]" },
        { Policy("DENY", "  - to: [{operation: {methods: [DELETE], ports: ['8080']}}]\n"), null, "" },
        { Policy("DENY", "  - to: [{operation: {methods: [DELETE]}}]\n", "app: web"), null, "" },
        { Policy("DENY", "  - to: [{operation: {ports: ['5432']}}]\n"), null, "" },
        { Policy("DENY", "  - to: [{operation: {methods: [DELETE], notPorts: ['5432']}}]\n"), null, "" },
        { Policy("ALLOW", "  - to: [{operation: {methods: [GET]}}]\n"), "WEFT0206", "never matches TCP port data/db:5432" },
        { Policy("ALLOW", "  - from: [{source: {namespaces: [data]}}]\n    when: [{key: 'request.headers[x-user]', values: [a]}]\n"), "WEFT0206", "request.headers[x-user]" },
        { Policy("ALLOW", "  - to: [{operation: {methods: [GET]}}, {operation: {ports: ['5432']}}]\n"), null, "" },
        { Policy("ALLOW", "  - to: [{operation: {hosts: [db], ports: ['8080']}}]\n"), null, "" },
        { Policy("ALLOW", "  - from: [{source: {namespaces: [data]}}]\n"), null, "" },
        { Policy("AUDIT", "  - to: [{operation: {methods: [GET]}}]\n"), null, "" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Http_attributes_on_a_tcp_port_are_reported_by_what_they_do(string policy, string? code, string fragment)
    {
        var findings = MeshAnalyzer.Analyze(ManifestLoader.Load(Registry + policy, "p.yaml"), new MeshOptions())
            .Where(f => f.Code is "WEFT0205" or "WEFT0206").ToList();

        if (code is null)
        {
            Assert.Empty(findings);
            return;
        }

        var finding = Assert.Single(findings);
        Assert.Equal((code, "spec.rules[0]", "p.yaml"), (finding.Code, finding.Field, finding.Location.File));
        Assert.Equal(18, finding.Location.Line); // the rule itself
        Assert.Contains(fragment, finding.Message, StringComparison.Ordinal);
    }
}
