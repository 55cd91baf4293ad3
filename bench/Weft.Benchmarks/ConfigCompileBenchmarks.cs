using BenchmarkDotNet.Attributes;
using Weft.Config.Model;
using Weft.Mesh.Compilation;
using Weft.Mesh.Model;
using Weft.Protocol.V1;
using Weft.Proxy.Authorization;
using Weft.Proxy.Routing;

namespace Weft.Benchmarks;

/// <summary>
/// What a config change costs off the request path, for the same mesh: the control plane's
/// compile of every proxy's config, and a proxy's compile of its config into the lookup tables.
/// </summary>
[MemoryDiagnoser]
public class ConfigCompileBenchmarks
{
    private MeshSnapshot _snapshot = null!;
    private ProxyConfig _client = null!;
    private ProxyConfig _server = null!;

    [GlobalSetup]
    public void Setup()
    {
        IReadOnlyList<Resource> resources = BenchmarkMesh.Load();
        _snapshot = BenchmarkMesh.Snapshot(resources);
        (_client, _server) = BenchmarkMesh.Compile();
    }

    /// <summary>Control plane: MeshCompiler.Compile of the whole mesh (2 proxies, 100 routes, 50 policies).</summary>
    [Benchmark]
    public int MeshCompile() => MeshCompiler.Compile(_snapshot).Proxies.Count;

    /// <summary>Client sidecar: RouteTable.Build of the 100-route config (regexes compiled).</summary>
    [Benchmark]
    public int ProxyRouteTableBuild() => RouteTable.Build(_client).VirtualHosts.Count;

    /// <summary>Server sidecar: AuthorizationEngine.Build of the 50 policies.</summary>
    [Benchmark]
    public int ProxyAuthorizationBuild() => AuthorizationEngine.Build(_server.Authorization).AllowPolicies.Count;
}
