using System.Net;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Weft.Proxy.Authorization;

namespace Weft.Benchmarks;

/// <summary>
/// The server sidecar's per-request authorization decision over 50 AuthorizationPolicies
/// (10 DENY, 40 ALLOW): DENY policies are evaluated first, then ALLOW policies until one matches.
/// </summary>
[MemoryDiagnoser]
public class AuthorizationBenchmarks
{
    private AuthorizationEngine _engine = null!;
    private AuthorizationRequest _allowedByLast;
    private AuthorizationRequest _deniedByDeny;
    private AuthorizationRequest _noAllowMatches;
    private AuthorizationRequest _unauthenticated;

    [GlobalSetup]
    public void Setup()
    {
        _engine = AuthorizationEngine.Build(BenchmarkMesh.Compile().Server.Authorization);
        var headers = new HeaderDictionary { ["accept"] = "*/*", ["user-agent"] = "bench", ["x-tenant"] = "tenant-1" };
        _allowedByLast = Request("cluster.local/ns/bench/sa/client", "GET", "/api/v1/items-39/7", headers);
        _deniedByDeny = Request("cluster.local/ns/bench/sa/client", "GET", "/admin-8/users", headers);
        _noAllowMatches = Request("cluster.local/ns/bench/sa/client", "GET", "/api/v1/other", headers);
        _unauthenticated = Request(null, "GET", "/api/v1/items-39/7", headers);
        if (!AllowedByLastAllowPolicy() || DeniedByADenyPolicy() || DeniedNoAllowPolicyMatches() || DeniedUnauthenticated())
        {
            throw new InvalidOperationException("the benchmark requests are not decided as described");
        }
    }

    /// <summary>All 10 DENY policies miss, then ALLOW policies 1–40 are tried; the 40th matches.</summary>
    [Benchmark(Baseline = true)]
    public bool AllowedByLastAllowPolicy() => _engine.Evaluate(_allowedByLast).Allowed;

    /// <summary>DENY policy 9 of 10 matches (path).</summary>
    [Benchmark]
    public bool DeniedByADenyPolicy() => _engine.Evaluate(_deniedByDeny).Allowed;

    /// <summary>All 50 policies are evaluated and none matches: denied (ALLOW policies exist).</summary>
    [Benchmark]
    public bool DeniedNoAllowPolicyMatches() => _engine.Evaluate(_noAllowMatches).Allowed;

    /// <summary>A plaintext peer (no principal): every ALLOW rule needs a principal.</summary>
    [Benchmark]
    public bool DeniedUnauthenticated() => _engine.Evaluate(_unauthenticated).Allowed;

    private static AuthorizationRequest Request(string? principal, string method, string path, IHeaderDictionary headers) => new()
    {
        Principal = principal,
        SourceNamespace = principal is null ? null : "bench",
        Method = method,
        Path = path,
        Host = "server.bench.svc.cluster.local",
        Port = 8080,
        Headers = headers,
        SourceIp = IPAddress.Loopback,
    };
}
