using Weft.Config.Loading;
using Weft.Protocol.V1;

namespace Weft.Mesh.Tests;

/// <summary>DestinationRule traffic policies compiled into clusters, with Istio's defaults and subset overrides.</summary>
public sealed class DestinationRulePolicyCompilerTests
{
    private static Cluster CompileCluster(string trafficPolicy, string subsetPolicy = "", string subset = "v1")
    {
        var yaml = $$$"""
            apiVersion: weft.dev/v1alpha1
            kind: Workload
            metadata: {name: web, namespace: shop, labels: {app: web, version: v1}}
            spec: {ports: [{port: 9080}], command: [x]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: shop}
            spec: {selector: {app: web}, ports: [{port: 80, targetPort: 9080}]}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: web, namespace: shop}
            spec:
              host: web
              trafficPolicy: {{{trafficPolicy}}}
              subsets:
              - name: v1
                labels: {version: v1}
                {{{(subsetPolicy.Length > 0 ? "trafficPolicy: " + subsetPolicy : "")}}}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: web, namespace: shop}
            spec:
              hosts: [web]
              http: [{route: [{destination: {host: web, subset: {{{subset}}}}}]}]
            """;
        var result = TestMesh.Compile(yaml, "dr.yaml");
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        return result.Proxies["shop/web"].Clusters.Single(c => c.Subset == subset);
    }

    [Fact]
    public void Outlier_detection_present_takes_istios_defaults()
    {
        var outlier = CompileCluster("{outlierDetection: {}}").OutlierDetection;
        Assert.Equal((5u, 0u, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), 10u),
            (outlier.Consecutive5XxErrors, outlier.ConsecutiveGatewayErrors, outlier.Interval.ToTimeSpan(), outlier.BaseEjectionTime.ToTimeSpan(), outlier.MaxEjectionPercent));
    }

    [Fact]
    public void No_outlier_block_means_no_ejection()
    {
        Assert.Null(CompileCluster("{loadBalancer: {simple: RANDOM}}").OutlierDetection);
    }

    [Fact]
    public void A_subset_policy_replaces_the_top_level_setting_by_setting()
    {
        var cluster = CompileCluster("{loadBalancer: {simple: RANDOM}, outlierDetection: {consecutive5xxErrors: 7}}", "{loadBalancer: {simple: ROUND_ROBIN}}");
        Assert.Equal(LoadBalancer.RoundRobin, cluster.LoadBalancer);
        Assert.Equal(7u, cluster.OutlierDetection.Consecutive5XxErrors); // not overridden: inherited
    }

    [Fact]
    public void Connection_pool_limits()
    {
        var pool = CompileCluster("{connectionPool: {tcp: {maxConnections: 10}, http: {http1MaxPendingRequests: 5, http2MaxRequests: 100}}}").ConnectionPool;
        Assert.Equal((10u, 5u, 100u), (pool.MaxConnections, pool.Http1MaxPendingRequests, pool.Http2MaxRequests));
    }

    [Fact]
    public void Connection_pool_timeouts_and_connection_reuse()
    {
        var pool = CompileCluster("{connectionPool: {tcp: {connectTimeout: 250ms, maxConnectionDuration: 5m}, http: {idleTimeout: 30s, maxRequestsPerConnection: 1}}}").ConnectionPool;
        Assert.Equal(TimeSpan.FromMilliseconds(250), pool.ConnectTimeout.ToTimeSpan());
        Assert.Equal(TimeSpan.FromMinutes(5), pool.MaxConnectionDuration.ToTimeSpan());
        Assert.Equal(TimeSpan.FromSeconds(30), pool.IdleTimeout.ToTimeSpan());
        Assert.Equal(1u, pool.MaxRequestsPerConnection);
        Assert.Equal(0u, pool.MaxConnections); // no limit
    }

    [Theory]
    [InlineData("{httpHeaderName: X-User}", "x-user", "", false)]
    [InlineData("{httpCookie: {name: session, ttl: 60s}}", "", "session", false)]
    [InlineData("{useSourceIp: true}", "", "", true)]
    public void Consistent_hash_keys(string hash, string header, string cookie, bool sourceIp)
    {
        var compiled = CompileCluster($"{{loadBalancer: {{consistentHash: {hash}}}}}").ConsistentHash;
        Assert.Equal((header, cookie, sourceIp), (compiled.HeaderName, compiled.CookieName, compiled.UseSourceIp));
    }

    [Theory]
    [InlineData("{outlierDetection: {maxEjectionPercent: 150}}", "spec.trafficPolicy.outlierDetection.maxEjectionPercent")]
    [InlineData("{loadBalancer: {simple: RANDOM, consistentHash: {useSourceIp: true}}}", "spec.trafficPolicy.loadBalancer")]
    public void Invalid_policies_are_reported_with_their_field(string trafficPolicy, string field)
    {
        var yaml = $"apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: web, namespace: shop}}\nspec:\n  host: web\n  trafficPolicy: {trafficPolicy}\n";
        Assert.Equal(field, Assert.Single(ManifestLoader.Load(yaml, "dr.yaml").Diagnostics, d => d.Severity == DiagnosticSeverity.Error).Field);
    }
}
