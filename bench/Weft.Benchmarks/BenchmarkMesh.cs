using System.Globalization;
using System.Text;
using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Mesh.Compilation;
using Weft.Mesh.Model;
using Weft.Protocol.V1;

namespace Weft.Benchmarks;

/// <summary>
/// The benchmarks' mesh, written as the manifests a user would write and compiled by the real
/// loader and mesh compiler: a VirtualService with 100 HTTP rules for service bench/server (99
/// with matches — exact, prefix + method, regex + header in turn — then a catch-all) and 50
/// AuthorizationPolicies selecting the server (10 DENY, then 40 ALLOW, each for one client
/// namespace's principal and one path prefix; the last ALLOW names bench/client).
/// </summary>
public static class BenchmarkMesh
{
    public const int Routes = 100;
    public const int DenyPolicies = 10;
    public const int AllowPolicies = 40;
    public const string ServerKey = "bench/server";
    public const string ClientKey = "bench/client";

    public static string Manifests()
    {
        var yaml = new StringBuilder();
        yaml.Append("""
            apiVersion: weft.dev/v1alpha1
            kind: Workload
            metadata: {name: client, namespace: bench, labels: {app: client}}
            spec: {serviceAccount: client, ports: [], command: [sleep, infinity]}
            ---
            apiVersion: weft.dev/v1alpha1
            kind: Workload
            metadata: {name: server, namespace: bench, labels: {app: server}}
            spec: {serviceAccount: server, ports: [{name: http, port: 8080}], command: [sleep, infinity]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: server, namespace: bench}
            spec: {selector: {app: server}, ports: [{name: http, port: 80, targetPort: 8080}]}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: server, namespace: bench}
            spec:
              hosts: [server]
              http:

            """);
        for (var i = 0; i < Routes - 1; i++)
        {
            var match = (i % 3) switch
            {
                0 => $"[{{uri: {{exact: /api/v1/items-{i}}}}}]",
                1 => $"[{{uri: {{prefix: /api/v1/items-{i}/}}, method: {{exact: GET}}}}]",
                _ => $"[{{uri: {{regex: \"/api/v1/items-{i}/[0-9]+\"}}, headers: {{x-tenant: {{exact: tenant-{i}}}}}}}]",
            };
            yaml.Append(CultureInfo.InvariantCulture, $"  - name: rule-{i}\n    match: {match}\n    route: [{{destination: {{host: server}}}}]\n");
        }

        // The catch-all also edits headers both ways, as a VirtualService's `headers` block does (HeaderBenchmarks).
        yaml.Append("""
              - name: catch-all
                route: [{destination: {host: server}}]
                headers:
                  request: {set: {x-env: bench}, add: {x-route: catch-all}, remove: [x-debug]}
                  response: {set: {cache-control: no-store}, remove: [server]}

            """);
        for (var i = 0; i < DenyPolicies; i++)
        {
            var rule = i % 2 == 0
                ? $"{{to: [{{operation: {{paths: [\"/admin-{i}/*\"]}}}}]}}"
                : $"{{when: [{{key: \"request.headers[x-block-{i}]\", values: [\"1\"]}}]}}";
            yaml.Append(CultureInfo.InvariantCulture, $$$"""
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: deny-{{{i}}}, namespace: bench}
                spec: {selector: {matchLabels: {app: server}}, action: DENY, rules: [{{{rule}}}]}

                """);
        }

        for (var i = 0; i < AllowPolicies; i++)
        {
            var principal = i == AllowPolicies - 1 ? "cluster.local/ns/bench/sa/client" : $"cluster.local/ns/team-{i}/sa/client";
            yaml.Append(CultureInfo.InvariantCulture, $$$"""
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: allow-{{{i}}}, namespace: bench}
                spec:
                  selector: {matchLabels: {app: server}}
                  action: ALLOW
                  rules:
                  - from: [{source: {principals: ["{{{principal}}}"]}}]
                    to: [{operation: {methods: [GET, POST], paths: ["/api/v1/items-{{{i}}}/*"]}}]

                """);
        }

        return yaml.ToString();
    }

    public static IReadOnlyList<Resource> Load()
    {
        var loaded = ManifestLoader.Load(Manifests(), "benchmark-mesh.yaml");
        if (loaded.HasErrors)
        {
            throw new InvalidOperationException("benchmark manifests invalid:\n" + string.Join("\n", loaded.Diagnostics));
        }

        return loaded.Resources;
    }

    public static MeshSnapshot Snapshot(IReadOnlyList<Resource> resources) => new(resources,
    [
        .. resources.OfType<Workload>().Select(w => new WorkloadInstance
        {
            Workload = w,
            Name = w.Name,
            Endpoints = w.Spec.Ports.ToDictionary(p => p.Port, p => $"127.0.0.1:{20000 + p.Port}"),
            AppAddresses = w.Spec.Ports.ToDictionary(p => p.Port, p => $"127.0.0.1:{30000 + p.Port}"),
        }),
    ], new MeshOptions());

    /// <summary>Compiles the mesh; throws unless client and server configs come out as described.</summary>
    public static (ProxyConfig Client, ProxyConfig Server) Compile()
    {
        var compiled = MeshCompiler.Compile(Snapshot(Load()));
        if (compiled.HasErrors)
        {
            throw new InvalidOperationException("benchmark mesh does not compile:\n" + string.Join("\n", compiled.Diagnostics));
        }

        var client = compiled.Proxies[ClientKey];
        var server = compiled.Proxies[ServerKey];
        var host = client.Outbound.Single(h => h.ServiceName == "server");
        if (host.Routes.Count != Routes)
        {
            throw new InvalidOperationException($"expected {Routes} routes, the compiler made {host.Routes.Count}");
        }

        if (server.Authorization.Count != DenyPolicies + AllowPolicies)
        {
            throw new InvalidOperationException($"expected {DenyPolicies + AllowPolicies} policies, the compiler made {server.Authorization.Count}");
        }

        return (client, server);
    }
}
