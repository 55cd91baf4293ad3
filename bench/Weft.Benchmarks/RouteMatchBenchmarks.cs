using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Weft.Proxy.Routing;

namespace Weft.Benchmarks;

/// <summary>
/// The client sidecar's per-request routing decision over a 100-route virtual host: find the
/// virtual host by authority, then the first matching route (routes are tried in order, so the
/// later the match the more routes are evaluated).
/// </summary>
[MemoryDiagnoser]
public class RouteMatchBenchmarks
{
    private const string Authority = "server.bench.svc.cluster.local:80";
    private RouteTable _table = null!;
    private HeaderDictionary _noHeaders = null!;
    private HeaderDictionary _tenant50 = null!;
    private HeaderDictionary _tenant98 = null!;

    [GlobalSetup]
    public void Setup()
    {
        _table = RouteTable.Build(BenchmarkMesh.Compile().Client);
        _noHeaders = new HeaderDictionary { ["accept"] = "*/*", ["user-agent"] = "bench" };
        _tenant50 = new HeaderDictionary { ["accept"] = "*/*", ["user-agent"] = "bench", ["x-tenant"] = "tenant-50" };
        _tenant98 = new HeaderDictionary { ["accept"] = "*/*", ["user-agent"] = "bench", ["x-tenant"] = "tenant-98" };
        Check(FirstRoute(), "rule-0");
        Check(MiddleRoute_RegexAndHeader(), "rule-50");
        Check(LastMatchingRule_RegexAndHeader(), "rule-98");
        Check(CatchAll_AfterAll99Rules(), "catch-all");
    }

    /// <summary>uri exact, the first rule.</summary>
    [Benchmark(Baseline = true)]
    public object? FirstRoute() => Match("GET", "/api/v1/items-0", _noHeaders);

    /// <summary>rule 50 of 100: regex uri + exact header, after 50 rules that do not match.</summary>
    [Benchmark]
    public object? MiddleRoute_RegexAndHeader() => Match("GET", "/api/v1/items-50/42", _tenant50);

    /// <summary>rule 98 of 100, after 98 rules that do not match.</summary>
    [Benchmark]
    public object? LastMatchingRule_RegexAndHeader() => Match("GET", "/api/v1/items-98/42", _tenant98);

    /// <summary>No rule matches: all 99 are evaluated, then the catch-all.</summary>
    [Benchmark]
    public object? CatchAll_AfterAll99Rules() => Match("POST", "/somewhere/else", _noHeaders);

    private CompiledRoute? Match(string method, string path, HeaderDictionary headers) =>
        _table.TryFindVirtualHost(Authority, out var host) ? host.Match(method, path, headers) : null;

    private static void Check(object? matched, string expected)
    {
        var route = matched as CompiledRoute;
        if (route is null || !route.Name.EndsWith(expected, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"expected route {expected}, got {route?.Name ?? "none"}");
        }
    }
}
