using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Weft.Proxy.Configuration;
using Weft.Proxy.Inbound;
using Weft.Proxy.Outbound;
using Weft.Proxy.Routing;

namespace Weft.Benchmarks;

/// <summary>
/// The header work each sidecar does per request, over a browser-like request of 12 headers: the
/// client sidecar copies them into the upstream request and applies the route's header operations
/// (set / add / remove), its peer metadata and attempt headers; the server sidecar strips the
/// mesh's headers, adds x-forwarded-client-cert and reads the caller's peer metadata. The upstream
/// request message is the forwarder's (YARP's) and is made per request by design, so those two
/// benchmarks include its allocation; the response edits and the peer lookup are the proxy's own.
/// </summary>
[MemoryDiagnoser]
public class HeaderBenchmarks
{
    private const string Destination = "http://127.0.0.1:20080/";
    private DefaultHttpContext _outboundContext = null!;
    private DefaultHttpContext _inboundContext = null!;
    private OutboundTransformer _outbound = null!;
    private HeaderEdits _responseEdits = null!;
    private HeaderDictionary _responseHeaders = null!;
    private string _peerHeader = null!;

    [GlobalSetup]
    public void Setup()
    {
        var (client, server) = BenchmarkMesh.Compile();
        var table = RouteTable.Build(client);
        if (!table.TryFindVirtualHost("server.bench.svc.cluster.local:80", out var host)
            || host.Match("POST", "/somewhere/else", new HeaderDictionary()) is not { Actions: { RequestHeaders: not null, ResponseHeaders: { } response } actions })
        {
            throw new InvalidOperationException("the catch-all route has no header operations");
        }

        _peerHeader = PeerHeader.Format(server.Workload);
        _outbound = new OutboundTransformer { PeerHeaderValue = PeerHeader.Format(client.Workload), Actions = actions };
        _outboundContext = Context("server");
        _inboundContext = Context("server");
        _inboundContext.Request.Headers[PeerHeader.Name] = _outbound.PeerHeaderValue;
        _inboundContext.Features.Set(new PeerIdentityFeature("spiffe://cluster.local/ns/bench/sa/client"));
        _responseEdits = response;
        _responseHeaders = [];
        using var upstream = new HttpRequestMessage();
        _outbound.TransformRequestAsync(_outboundContext, upstream, Destination, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        Expect(upstream, "x-env", "bench");
        Expect(upstream, "x-route", "catch-all");
        Expect(upstream, "x-debug", null);
        Expect(upstream, PeerHeader.Name, _outbound.PeerHeaderValue);
        Expect(upstream, OutboundTransformer.AttemptHeader, "1");
        Expect(upstream, "x-tenant", "tenant-3");
        using var local = new HttpRequestMessage();
        InboundTransformer.Instance.TransformRequestAsync(_inboundContext, local, Destination, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        Expect(local, PeerHeader.Name, null);
        Expect(local, "x-forwarded-client-cert", "URI=spiffe://cluster.local/ns/bench/sa/client");
    }

    private static void Expect(HttpRequestMessage request, string name, string? value)
    {
        var actual = request.Headers.NonValidated.TryGetValues(name, out var values) ? values.ToString() : null;
        if (actual != value)
        {
            throw new InvalidOperationException($"header {name}: expected '{value}', the transformer made '{actual}'");
        }
    }

    /// <summary>Client sidecar: the app's request becomes the upstream request (12 headers copied, one removed, three added, peer and attempt headers).</summary>
    [Benchmark(Baseline = true)]
    public int OutboundRequest()
    {
        using var upstream = new HttpRequestMessage();
        _outbound.TransformRequestAsync(_outboundContext, upstream, Destination, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return upstream.Headers.NonValidated.Count;
    }

    /// <summary>Server sidecar: the peer's request becomes the app's request (peer metadata removed, x-forwarded-client-cert added).</summary>
    [Benchmark]
    public int InboundRequest()
    {
        using var local = new HttpRequestMessage();
        InboundTransformer.Instance.TransformRequestAsync(_inboundContext, local, Destination, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return local.Headers.NonValidated.Count;
    }

    /// <summary>The route's response header operations, applied to the response on its way back.</summary>
    [Benchmark]
    public int ResponseHeaderEdits()
    {
        _responseHeaders["server"] = "backend";
        _responseHeaders["content-type"] = "application/json";
        _responseEdits.Apply(_responseHeaders);
        return _responseHeaders.Count;
    }

    /// <summary>Server sidecar: the caller's labels from its peer metadata header (parsed once, then looked up).</summary>
    [Benchmark]
    public object PeerMetadata() => PeerHeader.Parse(_peerHeader);

    private static DefaultHttpContext Context(string host)
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = "GET";
        request.Scheme = "http";
        request.Host = new HostString(host);
        request.Path = "/api/v1/items-3/42";
        request.QueryString = new QueryString("?page=2");
        request.Protocol = "HTTP/1.1";
        var headers = request.Headers;
        headers.Accept = "application/json, text/plain, */*";
        headers.AcceptEncoding = "gzip, deflate, br";
        headers.AcceptLanguage = "en-GB,en;q=0.9";
        headers.UserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
        headers.Authorization = "Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJl";
        headers.Cookie = "session=8f14e45fceea167a5a36dedd4bea2543; theme=dark";
        headers.Referer = "https://shop.example/cart";
        headers.CacheControl = "no-cache";
        headers["x-request-id"] = "4bf92f3577b34da6a3ce929d0e0e4736";
        headers["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        headers["x-debug"] = "1";
        headers["x-tenant"] = "tenant-3";
        return context;
    }
}
