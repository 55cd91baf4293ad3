using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Mesh.Compilation;
using Weft.Mesh.Model;
using Weft.Protocol.V1;
using Weft.Testing;

namespace Weft.Mesh.Tests;

public sealed class MeshCompilerTests
{
    private static MeshSnapshot Snapshot(params string[] extraYaml)
    {
        var examples = Repository.Example("payments");
        var loaded = new LoadResult();
        foreach (var file in Directory.GetFiles(examples, "*.yaml").Order())
        {
            loaded.Add(ManifestLoader.Load(File.ReadAllText(file), Path.GetFileName(file)));
        }

        foreach (var yaml in extraYaml)
        {
            loaded.Add(ManifestLoader.Load(yaml, "extra.yaml"));
        }

        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Diagnostics));
        return TestMesh.Snapshot(loaded);
    }

    private static CompileResult Compile(params string[] extraYaml) => MeshCompiler.Compile(Snapshot(extraYaml));

    [Fact]
    public void Every_meshed_workload_gets_a_config_with_its_identity()
    {
        var result = Compile();

        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        Assert.Equal(["payments/payments-v1", "payments/payments-v2", "shop/checkout", "shop/fraud"], result.Proxies.Keys.Order());
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/checkout", result.Proxies["shop/checkout"].Workload.SpiffeId);
        Assert.Equal("v2", result.Proxies["payments/payments-v2"].Workload.CanonicalRevision);
    }

    [Fact]
    public void The_canary_splits_payments_90_10_between_the_subsets()
    {
        var checkout = Compile().Proxies["shop/checkout"];

        var host = Assert.Single(checkout.Outbound, h => h.ServiceFqdn == "payments.payments.svc.cluster.local");
        Assert.Contains("payments", host.Domains); // unique short name reaches it from another namespace
        Assert.Equal(["dogfood", "canary"], host.Routes.Select(r => r.Name));
        var dogfood = host.Routes[0];
        Assert.Equal("x-canary", Assert.Single(Assert.Single(dogfood.Matches).Headers).Name);
        Assert.Equal("outbound|80|v2|payments.payments.svc.cluster.local", Assert.Single(dogfood.Destinations).Cluster);
        var route = host.Routes[1];
        Assert.Equal("payments/payments", route.Source);
        Assert.Equal(
            [("outbound|80|v1|payments.payments.svc.cluster.local", 90u), ("outbound|80|v2|payments.payments.svc.cluster.local", 10u)],
            route.Destinations.Select(d => (d.Cluster, d.Weight)));
        Assert.Equal(2u, route.Retries.Attempts);
        Assert.Equal(TimeSpan.FromSeconds(1), route.Retries.PerTryTimeout.ToTimeSpan());
        Assert.Contains("503", route.Retries.RetryOn);

        var v1 = Assert.Single(checkout.Clusters, c => c.Subset == "v1");
        var endpoint = Assert.Single(v1.Endpoints);
        Assert.Equal("payments-v1", endpoint.Workload);
        Assert.Equal("spiffe://cluster.local/ns/payments/sa/payments", endpoint.SpiffeId);
    }

    [Fact]
    public void An_instance_that_is_not_ready_keeps_its_config_but_is_no_ones_endpoint()
    {
        var snapshot = Snapshot();
        var withdrawn = snapshot with { Instances = [.. snapshot.Instances.Select(i => i.Name == "payments-v1" ? i with { Ready = false } : i)] };

        var result = MeshCompiler.Compile(withdrawn);

        Assert.Contains("payments/payments-v1", result.Proxies.Keys); // it still gets its config: it may come back at any moment
        var clusters = result.Proxies["shop/checkout"].Clusters;
        Assert.Empty(Assert.Single(clusters, c => c.Subset == "v1").Endpoints);
        Assert.Equal("payments-v2", Assert.Single(Assert.Single(clusters, c => c.Subset == "v2").Endpoints).Workload);
    }

    [Fact]
    public void A_service_without_virtual_service_gets_istios_default_route_and_retries()
    {
        var checkoutHost = Compile().Proxies["shop/fraud"].Outbound.Single(h => h.ServiceName == "checkout");

        var route = Assert.Single(checkoutHost.Routes);
        Assert.Equal("default", route.Source);
        Assert.Equal(2u, route.Retries.Attempts);
        Assert.Equal(["connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"], route.Retries.RetryOn);
        Assert.Equal(100u, Assert.Single(route.Destinations).Weight);
    }

    [Theory]
    [InlineData("payments/payments-v1", MtlsMode.Strict, "payments/default")]
    [InlineData("shop/checkout", MtlsMode.Permissive, "")]
    public void Peer_authentication_decides_each_inbound_port(string proxy, MtlsMode mode, string policy)
    {
        var inbound = Assert.Single(Compile().Proxies[proxy].Inbound);
        Assert.Equal(mode, inbound.MtlsMode);
        Assert.Equal(policy, inbound.MtlsPolicy);
    }

    [Fact]
    public void A_workload_selector_policy_overrides_the_namespace_policy()
    {
        var result = Compile("""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: v2-permissive, namespace: payments}
            spec:
              selector: {matchLabels: {version: v2}}
              mtls: {mode: PERMISSIVE}
            """);

        Assert.Equal(MtlsMode.Permissive, result.Proxies["payments/payments-v2"].Inbound[0].MtlsMode);
        Assert.Equal(MtlsMode.Strict, result.Proxies["payments/payments-v1"].Inbound[0].MtlsMode);
    }

    [Fact]
    public void Authorization_policies_apply_to_the_workloads_of_their_namespace()
    {
        var result = Compile();

        var policy = Assert.Single(result.Proxies["payments/payments-v1"].Authorization);
        Assert.Equal("payments/only-checkout", policy.Name);
        Assert.Equal(AuthorizationAction.Allow, policy.Action);
        Assert.Equal(["cluster.local/ns/shop/sa/checkout"], policy.Rules[0].From[0].Principals);
        Assert.Empty(result.Proxies["shop/checkout"].Authorization);
    }

    [Fact]
    public void Request_authentication_rules_apply_mesh_wide_by_namespace_and_by_selector()
    {
        var result = Compile(
            """
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {name: mesh, namespace: istio-system}
            spec:
              jwtRules: [{issuer: https://mesh.test, jwksUri: https://mesh.test/keys}]
            ---
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {name: v2-only, namespace: payments}
            spec:
              selector: {matchLabels: {version: v2}}
              jwtRules:
              - issuer: https://payments.test
                jwks: '{"keys": []}'
                audiences: [payments]
                fromHeaders: [{name: X-Token, prefix: "Bearer "}]
                forwardOriginalToken: true
                outputClaimToHeaders: [{header: x-user, claim: sub}]
            """,
            """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: jwt-required, namespace: payments}
            spec:
              rules:
              - from: [{source: {requestPrincipals: ["https://payments.test/*"], ipBlocks: [127.0.0.0/8], notRemoteIpBlocks: [10.0.0.0/8]}}]
            """);

        Assert.Equal(["https://mesh.test"], result.Proxies["shop/checkout"].JwtRules.Select(r => r.Issuer));
        Assert.Equal(["https://mesh.test"], result.Proxies["payments/payments-v1"].JwtRules.Select(r => r.Issuer));
        var rules = result.Proxies["payments/payments-v2"].JwtRules;
        Assert.Equal(["https://mesh.test", "https://payments.test"], rules.Select(r => r.Issuer));
        var v2 = rules[1];
        Assert.Equal("payments/v2-only", v2.Source);
        Assert.Equal(["payments"], v2.Audiences);
        Assert.Equal(("x-token", "Bearer "), (v2.FromHeaders[0].Name, v2.FromHeaders[0].Prefix));
        Assert.True(v2.ForwardOriginalToken);
        Assert.Equal("x-user", v2.OutputClaimToHeaders[0].Header);
        Assert.Equal("https://mesh.test/keys", rules[0].JwksUri);

        var source = result.Proxies["payments/payments-v1"].Authorization.Single(p => p.Name == "payments/jwt-required").Rules[0].From[0];
        Assert.Equal(["https://payments.test/*"], source.RequestPrincipals);
        Assert.Equal(["127.0.0.0/8"], source.IpBlocks);
        Assert.Equal(["10.0.0.0/8"], source.NotRemoteIpBlocks);
    }

    public static TheoryData<string, string, string> BrokenReferences => new()
    {
        { "v3", "spec.http[0].route[0].destination.subset", "subset 'v3' is not defined in DestinationRule payments/payments" },
        { "", "spec.http[0].route[0].destination.host", "destination host 'nowhere'" },
    };

    [Theory]
    [MemberData(nameof(BrokenReferences))]
    public void A_reference_to_something_that_does_not_exist_is_an_error_with_its_line(string subset, string field, string message)
    {
        var destination = subset.Length > 0 ? $"{{host: payments.payments, subset: {subset}}}" : "{host: nowhere}";
        var result = Compile($$"""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: broken, namespace: shop}
            spec:
              hosts: [checkout]
              http:
              - route:
                - destination: {{destination}}
            """);

        var error = Assert.Single(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(field, error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(8, error.Location.Line);
        Assert.Equal("extra.yaml", error.Location.File);
    }

    [Fact]
    public void Compiling_twice_gives_equal_configs()
    {
        var snapshot = Snapshot();
        Assert.Equal(MeshCompiler.Compile(snapshot).Proxies, MeshCompiler.Compile(snapshot).Proxies);
    }
}
