using System.Net;
using Weft.Protocol.V1;
using Weft.Proxy.Authorization;
using Weft.Proxy.LoadBalancing;
using Weft.Proxy.Routing;
using Weft.Proxy.Tests.TestSupport;
using static Weft.Proxy.Tests.Authorization.Authz;
using static Weft.Proxy.Tests.TestSupport.Configs;

namespace Weft.Proxy.Tests;

/// <summary>
/// The per-request decisions must not allocate: the proxy relies on it. This counts bytes, it does not time.
/// </summary>
public sealed class AllocationTests
{
    private const int Calls = 1_000;

    [Fact]
    public void RoutingDoesNotAllocate()
    {
        var config = new ProxyConfig();
        var cluster = Cluster("c", "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3");
        config.Clusters.Add(cluster);
        config.Clusters.Add(Cluster("c2", "127.0.0.1:4"));
        var split = Route("split", "c", new RouteMatch { Uri = Regex("/items/[0-9]+"), Method = Exact("GET") });
        split.Destinations[0].Weight = 90;
        split.Destinations.Add(new WeightedCluster { Cluster = "c2", Weight = 10 });
        config.Outbound.Add(Host("payments:80", 80, ["payments", "payments.payments.svc.cluster.local"],
            Route("exact", "c", new RouteMatch { Uri = Exact("/exact"), IgnoreUriCase = true }),
            Route("header", "c", new RouteMatch
            {
                Headers =
                {
                    new HeaderMatch { Name = "x-user", Value = Regex("alice|bob") },
                    new HeaderMatch { Name = "x-skip", Absent = true },
                },
            }),
            Route("multi", "c", new RouteMatch { Headers = { new HeaderMatch { Name = "x-multi", Value = Prefix("a,") } } }),
            split,
            Route("default", "c")));
        var table = RouteTable.Build(config);
        var random = new SeededRandomSource(1);
        var plain = Headers.Parse(null);
        var user = Headers.Parse("x-user=bob");
        var multi = Headers.Parse("x-multi=a|b");

        Assert.Equal(0, MeasureAllocations(() =>
        {
            Assert.True(table.TryFindVirtualHost("payments", out var host));
            Assert.True(table.TryFindVirtualHost("PAYMENTS.payments.svc.cluster.local:80", out _));
            Assert.False(table.TryFindVirtualHost("unknown:80", out _));
            Assert.Equal("exact", host.Match("GET", "/EXACT", plain)!.Name);
            Assert.Equal("header", host.Match("GET", "/x", user)!.Name);
            Assert.Equal("multi", host.Match("GET", "/x", multi)!.Name);
            var route = host.Match("GET", "/items/42?q=1", plain)!;
            Assert.Equal("split", route.Name);
            Assert.Equal("default", host.Match("POST", "/items/42", plain)!.Name);
            var destination = route.PickDestination(random);
            var endpoint = destination.PickEndpoint(random)!;
            endpoint.IncrementOutstanding();
            endpoint.RecordLatency(TimeSpan.FromMilliseconds(3));
            endpoint.DecrementOutstanding();
            Assert.True(route.Retries.Attempts == 0);
        }));
    }

    [Fact]
    public void AuthorizationDoesNotAllocate()
    {
        var engine = AuthorizationEngine.Build(
        [
            Audit("shop/audit", To(new AuthorizationOperation { Paths = { "/admin*" } })),
            Deny("shop/deny-debug", When(Condition("request.headers[x-debug]", "*", null))),
            Deny("shop/deny-ips", When(Condition("source.ip", "192.168.0.0/16,10.9.0.0/16", null))),
            Allow("shop/allow-checkout", new AuthorizationRule
            {
                From = { new AuthorizationSource { Principals = { "*/sa/checkout" }, Namespaces = { "shop" } } },
                To = { new AuthorizationOperation { Methods = { "GET", "POST" }, Paths = { "/orders*", "*.json" }, Hosts = { "*.cluster.local" }, Ports = { 9080 } } },
                When = { Condition("request.headers[x-env]", null, "prod"), Condition("destination.port", "9080", null) },
            }),
        ]);
        var allowed = Request(Checkout, "POST", "/orders/1", "Payments.shop.svc.cluster.local", 9080, "x-env=dev", "10.1.2.3");
        var denied = Request(Checkout, "GET", "/admin", "payments.shop.svc.cluster.local", 9080, "x-debug=1|2", "10.1.2.3");
        var unauthenticated = Request(null, "GET", "/orders", "payments", 9080, null, "::ffff:10.9.1.1");
        var noMatch = Request("cluster.local/ns/web/sa/frontend", "GET", "/orders", "payments.shop.svc.cluster.local", 9080, null, "10.1.2.3");

        Assert.Equal(0, MeasureAllocations(() =>
        {
            Assert.True(engine.Evaluate(allowed).Allowed);
            Assert.False(engine.Evaluate(denied).Allowed);
            Assert.False(engine.Evaluate(unauthenticated).Allowed);
            Assert.False(engine.Evaluate(noMatch).Allowed);
        }));
    }

    [Fact]
    public void TracingOffAndTcpCountingDoNotAllocate()
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Headers["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        using var forwarded = new HttpRequestMessage();
        var tcp = new Weft.Proxy.Telemetry.TcpMetrics();
        var source = new Weft.Proxy.Telemetry.PeerLabels("checkout", "shop", "spiffe://cluster.local/ns/shop/sa/checkout", "checkout", "v1", "unknown");
        var destination = new Weft.Proxy.Telemetry.PeerLabels("echo", "demo", "spiffe://cluster.local/ns/demo/sa/echo", "echo", "v1", "echo.demo.svc.cluster.local");

        Assert.False(Weft.Proxy.Telemetry.Tracing.ProxySpans.Enabled);
        Assert.Equal(0, MeasureAllocations(() =>
        {
            Weft.Proxy.Telemetry.Tracing.ProxySpans.Start(context, System.Diagnostics.ActivityKind.Client);
            Weft.Proxy.Telemetry.Tracing.ProxySpans.Route(context, "payments.payments.svc.cluster.local:80", "canary", "payments/payments#1");
            Weft.Proxy.Telemetry.Tracing.ProxySpans.Inject(context, forwarded.Headers);
            Weft.Proxy.Telemetry.Tracing.ProxySpans.End(context, Weft.Proxy.Telemetry.Reporter.Source, destination, 200, "-", "127.0.0.1:1", 1);
            var connection = tcp.Open(Weft.Proxy.Telemetry.Reporter.Source, source, destination, Weft.Proxy.Telemetry.ConnectionSecurity.MutualTls);
            connection.AddReceived(5);
            connection.AddSent(7);
            connection.Closed();
        }));
        Assert.Empty(forwarded.Headers);
    }

    private static long MeasureAllocations(Action body)
    {
        // Warm up: JIT, tiering, lazily built regex DFA states, static initialisers.
        for (var i = 0; i < 200; i++)
        {
            body();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Calls; i++)
        {
            body();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
