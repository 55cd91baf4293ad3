using System.Net;
using System.Text.Json;
using Weft.IntegrationTests.Otlp;
using SpanKind = Weft.IntegrationTests.Otlp.Trace.Span.Types.SpanKind;

namespace Weft.IntegrationTests;

/// <summary>
/// Distributed traces end to end: the payments mesh runs with every sidecar exporting spans over
/// OTLP/HTTP to a collector in the test, and each request is followed from the collector's side.
/// </summary>
public sealed class TracingTests(TracingTests.Fixture fixture) : IClassFixture<TracingTests.Fixture>
{
    private static readonly TimeSpan SpanTimeout = TimeSpan.FromSeconds(30);
    private readonly MeshProcess _mesh = fixture.Mesh;
    private readonly OtlpCollector _collector = fixture.Collector;

    public sealed class Fixture : IAsyncLifetime
    {
        public OtlpCollector Collector { get; private set; } = null!;
        public MeshProcess Mesh { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Collector = await OtlpCollector.StartAsync();
            Mesh = await MeshProcess.StartAsync("payments", "--otlp-endpoint", Collector.Endpoint);
        }

        public async Task DisposeAsync()
        {
            await Mesh.DisposeAsync();
            await Collector.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_request_from_checkout_to_payments_is_one_trace_of_a_client_and_a_server_span()
    {
        var path = UniquePath();
        using var client = await _mesh.ClientOfAsync("checkout");

        using var response = await client.SendAsync(Get(path));
        var reply = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var clientSpan = await SpanAsync(s => s.Service == "checkout.shop" && s["url.path"] == path);
        var trace = await TraceAsync(clientSpan.TraceId, count: 2);
        var serverSpan = Assert.Single(trace, s => s.Span.Kind == SpanKind.Server);

        // The client span starts the trace (nothing came in) and is the parent of payments' server span.
        Assert.Equal(SpanKind.Client, clientSpan.Span.Kind);
        Assert.Equal("", clientSpan.ParentSpanId);
        Assert.Equal(clientSpan.SpanId, serverSpan.ParentSpanId);
        Assert.Equal("payments-v2.payments", serverSpan.Service);
        Assert.Equal("Weft.Proxy", clientSpan.Scope);

        // Standard attributes on both sides.
        Assert.Equal("GET", clientSpan["http.request.method"]);
        Assert.Equal("200", clientSpan["http.response.status_code"]);
        Assert.Equal("dogfood", clientSpan["http.route"]);
        Assert.Equal("spiffe://cluster.local/ns/payments/sa/payments", clientSpan["weft.peer.identity"]);
        Assert.Equal("127.0.0.1", clientSpan["server.address"]);
        var upstream = await _mesh.WorkloadAsync("payments-v2");
        Assert.Equal(upstream.InboundPorts[9080].ToString(System.Globalization.CultureInfo.InvariantCulture), clientSpan["server.port"]);
        Assert.Equal("GET payments.payments.svc.cluster.local:80", clientSpan.Span.Name);
        Assert.Equal("GET", serverSpan["http.request.method"]);
        Assert.Equal("200", serverSpan["http.response.status_code"]);
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/checkout", serverSpan["weft.peer.identity"]);
        Assert.Equal(path, serverSpan["url.path"]);

        // The app sees payments' server span as its parent, in W3C and B3 form.
        var headers = reply.GetProperty("headers");
        Assert.Equal($"00-{clientSpan.TraceId}-{serverSpan.SpanId}-01", headers.GetProperty("traceparent").GetString());
        Assert.Equal(clientSpan.TraceId, headers.GetProperty("x-b3-traceid").GetString());
        Assert.Equal(serverSpan.SpanId, headers.GetProperty("x-b3-spanid").GetString());
        Assert.Equal(clientSpan.SpanId, headers.GetProperty("x-b3-parentspanid").GetString());
        Assert.Equal("1", headers.GetProperty("x-b3-sampled").GetString());

        // Each sidecar's access log line carries the trace id and its own span id.
        var line = await AccessLogLineAsync("shop.checkout", path);
        Assert.Equal(clientSpan.TraceId, line.GetProperty("trace_id").GetString());
        Assert.Equal(clientSpan.SpanId, line.GetProperty("span_id").GetString());
    }

    [Theory]
    [InlineData("traceparent")]
    [InlineData("b3")]
    [InlineData("x-b3")]
    public async Task A_trace_context_that_comes_in_is_continued(string format)
    {
        var path = UniquePath();
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        var parentId = traceId[..16];
        using var client = await _mesh.ClientOfAsync("checkout");
        using var request = Get(path);
        switch (format)
        {
            case "traceparent":
                request.Headers.Add("traceparent", $"00-{traceId}-{parentId}-01");
                request.Headers.Add("tracestate", "vendor=opaque");
                break;
            case "b3":
                request.Headers.Add("b3", $"{traceId}-{parentId}-1");
                break;
            default:
                request.Headers.Add("x-b3-traceid", traceId);
                request.Headers.Add("x-b3-spanid", parentId);
                request.Headers.Add("x-b3-sampled", "1");
                break;
        }

        using var response = await client.SendAsync(request);
        var headers = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("headers");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var trace = await TraceAsync(traceId, count: 2);
        var clientSpan = Assert.Single(trace, s => s.Span.Kind == SpanKind.Client);
        var serverSpan = Assert.Single(trace, s => s.Span.Kind == SpanKind.Server);
        Assert.Equal(parentId, clientSpan.ParentSpanId);
        Assert.Equal(clientSpan.SpanId, serverSpan.ParentSpanId);
        Assert.Equal(path, clientSpan["url.path"]);
        Assert.Equal($"00-{traceId}-{serverSpan.SpanId}-01", headers.GetProperty("traceparent").GetString());
        if (format == "traceparent")
        {
            Assert.Equal("vendor=opaque", clientSpan.Span.TraceState);
            Assert.Equal("vendor=opaque", headers.GetProperty("tracestate").GetString());
        }

        if (format == "b3")
        {
            // A caller that speaks single-header B3 gets it back, rewritten for the next hop.
            Assert.Equal($"{traceId}-{serverSpan.SpanId}-1-{clientSpan.SpanId}", headers.GetProperty("b3").GetString());
        }
    }

    [Fact]
    public async Task A_caller_that_does_not_sample_is_not_recorded_but_its_decision_is_propagated()
    {
        var path = UniquePath();
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        using var client = await _mesh.ClientOfAsync("checkout");
        using var request = Get(path); // both requests take the same path: checkout → payments-v2
        request.Headers.Add("traceparent", $"00-{traceId}-{traceId[..16]}-00");

        using var response = await client.SendAsync(request);
        var traceParent = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("headers").GetProperty("traceparent").GetString();

        Assert.Matches($"^00-{traceId}-[0-9a-f]{{16}}-00$", traceParent!);
        // A later, sampled request's spans arriving from both sidecars shows the unsampled one's would have arrived by now.
        var marker = UniquePath();
        using (await client.SendAsync(Get(marker)))
        {
        }

        await SpanAsync(s => s["url.path"] == marker && s.Span.Kind == SpanKind.Server);
        await SpanAsync(s => s["url.path"] == marker && s.Span.Kind == SpanKind.Client);
        Assert.DoesNotContain(_collector.Spans, s => s.TraceId == traceId);
    }

    [Fact]
    public async Task A_retried_request_shows_both_attempts()
    {
        var path = UniquePath();
        using var client = await _mesh.ClientOfAsync("checkout");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://payments{path}");
        request.Headers.Add("x-demo-fail-attempts", "1"); // the app fails the first attempt with 503; the canary route retries

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var clientSpan = await SpanAsync(s => s.Service == "checkout.shop" && s["url.path"] == path);
        var attempts = clientSpan.Events("attempt").ToList();
        // Two attempts: the 503 and the retry that succeeds. On a machine so slow that an attempt outlives
        // the route's 1s perTryTimeout, that attempt ends with an error instead, and a third may follow.
        Assert.InRange(attempts.Count, 2, 3);
        Assert.Equal(Enumerable.Range(1, attempts.Count).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            attempts.Select(e => OtlpCollector.Attribute(e.Attributes, "weft.attempt")));
        Assert.All(attempts.SkipLast(1), e => Assert.True(OtlpCollector.Attribute(e.Attributes, "http.response.status_code") == "503"
            || OtlpCollector.Attribute(e.Attributes, "error.type") is not null, "a retried attempt failed"));
        Assert.Equal("200", OtlpCollector.Attribute(attempts[^1].Attributes, "http.response.status_code"));
        Assert.All(attempts, e => Assert.Equal("spiffe://cluster.local/ns/payments/sa/payments", OtlpCollector.Attribute(e.Attributes, "weft.peer.identity")));
        Assert.Equal(attempts.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), clientSpan["weft.attempts"]);
        Assert.Equal("200", clientSpan["http.response.status_code"]);

        // Each attempt reached a payments sidecar: a server span per attempt, all children of the one client span.
        var trace = await TraceAsync(clientSpan.TraceId, count: 1 + attempts.Count);
        var servers = trace.Where(s => s.Span.Kind == SpanKind.Server).OrderBy(s => s.Span.StartTimeUnixNano).ToList();
        Assert.Equal(attempts.Count, servers.Count);
        Assert.All(servers, s => Assert.Equal(clientSpan.SpanId, s.ParentSpanId));
        Assert.Contains(servers[0]["http.response.status_code"], new[] { "503", "0" }); // 0: the client sidecar gave up first (perTryTimeout)
        Assert.Equal(Otlp.Trace.Status.Types.StatusCode.Error, servers[0].Span.Status?.Code);
        Assert.Equal("200", servers[^1]["http.response.status_code"]);
    }

    [Fact]
    public async Task A_call_through_an_app_that_propagates_context_joins_one_trace_across_two_hops()
    {
        // fraud → checkout's app (/call) → payments: the app passes the headers on, as apps in a mesh must
        // (x-canary too: payments' dogfood route has no perTryTimeout, so a slow machine adds no attempts).
        var path = UniquePath();
        using var client = await _mesh.ClientOfAsync("fraud");

        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://checkout/call?url={Uri.EscapeDataString("http://payments" + path)}");
        request.Headers.Add("x-canary", "true");
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var checkoutClient = await SpanAsync(s => s.Service == "checkout.shop" && s.Span.Kind == SpanKind.Client && s["url.path"] == path);
        var attempts = int.Parse(checkoutClient["weft.attempts"]!, System.Globalization.CultureInfo.InvariantCulture); // 1, unless a slow machine hit the perTryTimeout
        var trace = await TraceAsync(checkoutClient.TraceId, count: 3 + attempts);
        var fraudClient = Assert.Single(trace, s => s.Service == "fraud.shop" && s.Span.Kind == SpanKind.Client);
        var checkoutServer = Assert.Single(trace, s => s.Service == "checkout.shop" && s.Span.Kind == SpanKind.Server);
        var paymentsServers = trace.Where(s => s.Service.StartsWith("payments-", StringComparison.Ordinal)).ToList();
        Assert.Equal("", fraudClient.ParentSpanId);
        Assert.Equal(fraudClient.SpanId, checkoutServer.ParentSpanId);
        Assert.Equal(checkoutServer.SpanId, checkoutClient.ParentSpanId);
        Assert.Equal(attempts, paymentsServers.Count);
        Assert.All(paymentsServers, s => Assert.Equal(checkoutClient.SpanId, s.ParentSpanId));
    }

    [Fact]
    public async Task A_request_denied_by_policy_shows_who_refused_it_and_why()
    {
        var path = UniquePath();
        using var client = await _mesh.ClientOfAsync("fraud");

        using var response = await client.SendAsync(Get(path));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var clientSpan = await SpanAsync(s => s.Service == "fraud.shop" && s["url.path"] == path);
        var trace = await TraceAsync(clientSpan.TraceId, count: 2);
        var serverSpan = Assert.Single(trace, s => s.Span.Kind == SpanKind.Server);
        Assert.Equal(clientSpan.SpanId, serverSpan.ParentSpanId);
        Assert.Equal("403", serverSpan["http.response.status_code"]);
        Assert.Equal("authz-denied", serverSpan["weft.reason"]);
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/fraud", serverSpan["weft.peer.identity"]);
        Assert.Equal("403", clientSpan["http.response.status_code"]);
        Assert.Equal(Otlp.Trace.Status.Types.StatusCode.Error, clientSpan.Span.Status.Code); // a client span fails on 4xx
        Assert.Equal(Otlp.Trace.Status.Types.StatusCode.Unset, serverSpan.Span.Status?.Code ?? Otlp.Trace.Status.Types.StatusCode.Unset); // a server span only on 5xx
    }

    [Fact]
    public async Task The_sidecars_count_exported_spans_and_drop_none()
    {
        var path = UniquePath();
        using var client = await _mesh.ClientOfAsync("checkout");
        using (await client.SendAsync(Get(path)))
        {
        }

        await SpanAsync(s => s.Service == "checkout.shop" && s["url.path"] == path);
        var admin = (await _mesh.WorkloadAsync("checkout")).AdminPort;
        using var http = new HttpClient();
        var metrics = (await http.GetStringAsync($"http://127.0.0.1:{admin}/metrics")).Split('\n');
        Assert.True(Value(metrics, "weft_tracing_spans_exported_total") >= 1);
        Assert.Equal(0, Value(metrics, "weft_tracing_spans_dropped_total"));
        Assert.Equal(0, Value(metrics, "weft_tracing_spans_failed_total"));
    }

    private static double Value(string[] metrics, string name) =>
        double.Parse(metrics.Single(l => l.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    private static string UniquePath() => "/trace-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>
    /// A request on payments' dogfood route (always v2, no perTryTimeout), so the trace's shape does
    /// not depend on how fast the machine is; the retry test uses the canary route on purpose.
    /// </summary>
    private static HttpRequestMessage Get(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://payments{path}");
        request.Headers.Add("x-canary", "true");
        return request;
    }

    private async Task<ReceivedSpan> SpanAsync(Func<ReceivedSpan, bool> match)
    {
        ReceivedSpan? found = null;
        await Eventually.TrueAsync(() => Task.FromResult((found = _collector.Spans.FirstOrDefault(match)) is not null), SpanTimeout, "the span to reach the collector");
        return found!;
    }

    /// <summary>The spans of a trace once <paramref name="count"/> have arrived (and no more).</summary>
    private async Task<List<ReceivedSpan>> TraceAsync(string traceId, int count)
    {
        List<ReceivedSpan> spans = [];
        await Eventually.TrueAsync(() => Task.FromResult((spans = _collector.Spans.Where(s => s.TraceId == traceId).ToList()).Count >= count), SpanTimeout,
            $"{count} spans of trace {traceId}");
        Assert.True(spans.Count == count, $"expected {count} spans, got:\n{string.Join('\n', spans)}");
        return spans;
    }

    private async Task<JsonElement> AccessLogLineAsync(string label, string path)
    {
        var file = Path.Combine(_mesh.StateDirectory, "logs", $"{label}.access.log");
        JsonElement line = default;
        await Eventually.TrueAsync(async () =>
        {
            if (!File.Exists(file))
            {
                return false;
            }

            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            foreach (var text in (await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var entry = JsonDocument.Parse(text).RootElement;
                if (entry.GetProperty("path").GetString() == path)
                {
                    line = entry.Clone();
                    return true;
                }
            }

            return false;
        }, SpanTimeout, $"{path} in {file}");
        return line;
    }
}
