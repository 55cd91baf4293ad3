using System.Globalization;
using System.Text.RegularExpressions;
using Weft.Proxy.Telemetry;

namespace Weft.Proxy.Tests.Telemetry;

public sealed partial class PrometheusExpositionTests
{
    private static readonly PeerLabels Checkout = new("checkout", "shop", "spiffe://cluster.local/ns/shop/sa/checkout", "checkout", "v1", "unknown");
    private static readonly PeerLabels PaymentsV1 = new("payments-v1", "payments", "spiffe://cluster.local/ns/payments/sa/payments", "payments", "v1", "payments.payments.svc.cluster.local");

    [Fact]
    public void Requests_are_exposed_with_istios_names_labels_and_a_cumulative_histogram()
    {
        var metrics = new RequestMetrics();
        metrics.Record(Reporter.Destination, Checkout, PaymentsV1, 200, "-", ConnectionSecurity.MutualTls, 3, 0, 0);
        metrics.Record(Reporter.Destination, Checkout, PaymentsV1, 200, "-", ConnectionSecurity.MutualTls, 40, 0, 0);
        metrics.Record(Reporter.Destination, Checkout, PaymentsV1, 503, "upstream-reset", ConnectionSecurity.MutualTls, 7000, 0, 0);
        var counters = new ProxyCounters();
        counters.RecordRetry("outbound|80|v1|payments.payments.svc.cluster.local");
        counters.RecordRetry("outbound|80|v1|payments.payments.svc.cluster.local");

        var text = Write(metrics, counters);
        var samples = Parse(text);

        var ok = Assert.Single(samples, s => s.Name == "istio_requests_total" && s.Labels["response_code"] == "200");
        Assert.Equal(2, ok.Value);
        Assert.Equal("destination", ok.Labels["reporter"]);
        Assert.Equal("checkout", ok.Labels["source_workload"]);
        Assert.Equal("payments-v1", ok.Labels["destination_workload"]);
        Assert.Equal("payments.payments.svc.cluster.local", ok.Labels["destination_service"]);
        Assert.Equal("payments", ok.Labels["destination_service_name"]);
        Assert.Equal("mutual_tls", ok.Labels["connection_security_policy"]);
        Assert.Equal("upstream-reset", Assert.Single(samples, s => s.Name == "istio_requests_total" && s.Labels["response_code"] == "503").Labels["response_flags"]);

        var buckets = samples.Where(s => s.Name == "istio_request_duration_milliseconds_bucket" && s.Labels["response_code"] == "200").ToList();
        Assert.Equal(RequestMetrics.DurationBuckets.Length + 1, buckets.Count);
        Assert.Equal(1, buckets.Single(b => b.Labels["le"] == "5").Value);
        Assert.Equal(2, buckets.Single(b => b.Labels["le"] == "50").Value);
        Assert.Equal(2, buckets.Single(b => b.Labels["le"] == "+Inf").Value);
        Assert.True(buckets.Zip(buckets.Skip(1)).All(pair => pair.First.Value <= pair.Second.Value), "buckets must be cumulative");
        Assert.Equal(43, samples.Single(s => s.Name == "istio_request_duration_milliseconds_sum" && s.Labels["response_code"] == "200").Value, 3);
        Assert.Equal(2, samples.Single(s => s.Name == "istio_request_duration_milliseconds_count" && s.Labels["response_code"] == "200").Value);
        Assert.Equal(2, samples.Single(s => s.Name == "envoy_cluster_upstream_rq_retry").Value);
        Assert.Contains("# TYPE istio_request_duration_milliseconds histogram", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Label_values_are_escaped()
    {
        var metrics = new RequestMetrics();
        var odd = new PeerLabels("we\"ird\\name\nx", "ns", "unknown", "a", "v", "unknown");
        metrics.Record(Reporter.Source, odd, PaymentsV1, 200, "-", ConnectionSecurity.None, 1, 0, 0);

        var sample = Assert.Single(Parse(Write(metrics, new ProxyCounters())), s => s.Name == "istio_requests_total");

        Assert.Equal("we\"ird\\name\nx", sample.Labels["source_workload"]);
    }

    [Fact]
    public void Recording_an_existing_series_allocates_nothing()
    {
        var metrics = new RequestMetrics();
        metrics.Record(Reporter.Source, Checkout, PaymentsV1, 200, "-", ConnectionSecurity.MutualTls, 1, 0, 0);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            metrics.Record(Reporter.Source, Checkout, PaymentsV1, 200, "-", ConnectionSecurity.MutualTls, i, 0, 0);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Concurrent_recording_loses_nothing()
    {
        var metrics = new RequestMetrics();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                metrics.Record(Reporter.Source, Checkout, PaymentsV1, 200, "-", ConnectionSecurity.MutualTls, 1, 0, 0);
            }
        });

        Assert.Equal(80_000, Parse(Write(metrics, new ProxyCounters())).Single(s => s.Name == "istio_requests_total").Value);
    }

    [Fact]
    public void Body_sizes_are_histograms_with_istios_size_buckets()
    {
        var metrics = new RequestMetrics();
        metrics.Record(Reporter.Source, Checkout, PaymentsV1, 200, "-", ConnectionSecurity.MutualTls, 1, 0, 350);
        metrics.Record(Reporter.Source, Checkout, PaymentsV1, 200, "-", ConnectionSecurity.MutualTls, 1, 100_000, 20);

        var samples = Parse(Write(metrics, new ProxyCounters()));

        var request = samples.Where(s => s.Name == "istio_request_bytes_bucket").ToDictionary(s => s.Labels["le"], s => s.Value);
        Assert.Equal(RequestMetrics.SizeBuckets.Length + 1, request.Count);
        Assert.Equal(1, request["1"]); // the empty body
        Assert.Equal(1, request["10000"]);
        Assert.Equal(2, request["100000"]);
        Assert.Equal(2, request["+Inf"]);
        Assert.Equal(100_000, samples.Single(s => s.Name == "istio_request_bytes_sum").Value);
        Assert.Equal(370, samples.Single(s => s.Name == "istio_response_bytes_sum").Value);
        Assert.Equal(2, samples.Single(s => s.Name == "istio_response_bytes_count").Value);
        Assert.Equal(1, samples.Where(s => s.Name == "istio_response_bytes_bucket").Single(s => s.Labels["le"] == "100").Value);
    }

    [Fact]
    public void Tcp_connections_and_bytes_are_exposed_with_the_http_labels_and_tcp_protocol()
    {
        var tcp = new TcpMetrics();
        var first = tcp.Open(Reporter.Source, Checkout, PaymentsV1, ConnectionSecurity.MutualTls);
        first.AddReceived(5);
        first.AddSent(14);
        first.Closed();
        tcp.Open(Reporter.Source, Checkout, PaymentsV1, ConnectionSecurity.MutualTls).AddReceived(3); // still open
        tcp.Refused(Reporter.Destination, Weft.Proxy.Configuration.PeerHeader.Parse("workload=fraud;namespace=shop;app=fraud;version=v1;principal=spiffe://cluster.local/ns/shop/sa/fraud"), PaymentsV1, ConnectionSecurity.MutualTls, "authz-denied");

        var writer = new StringWriter();
        PrometheusTextWriter.Write(writer, new RequestMetrics(), new ProxyCounters(), tcp);
        var samples = Parse(writer.ToString());

        double Value(string name, string reporter) => samples.Single(s => s.Name == name && s.Labels["reporter"] == reporter).Value;
        Assert.Equal(2, Value("istio_tcp_connections_opened_total", "source"));
        Assert.Equal(1, Value("istio_tcp_connections_closed_total", "source"));
        Assert.Equal(8, Value("istio_tcp_received_bytes_total", "source"));
        Assert.Equal(14, Value("istio_tcp_sent_bytes_total", "source"));
        var opened = samples.Single(s => s.Name == "istio_tcp_connections_opened_total" && s.Labels["reporter"] == "source");
        Assert.Equal("checkout", opened.Labels["source_workload"]);
        Assert.Equal("payments.payments.svc.cluster.local", opened.Labels["destination_service"]);
        Assert.Equal("tcp", opened.Labels["request_protocol"]);
        Assert.Equal("mutual_tls", opened.Labels["connection_security_policy"]);
        var denied = samples.Single(s => s.Name == "istio_tcp_connections_closed_total" && s.Labels["reporter"] == "destination");
        Assert.Equal(1, denied.Value);
        Assert.Equal("authz-denied", denied.Labels["response_flags"]);
        Assert.Equal("fraud", denied.Labels["source_workload"]);
        Assert.Equal("shop", denied.Labels["source_workload_namespace"]);
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/fraud", denied.Labels["source_principal"]);
    }

    private static string Write(RequestMetrics metrics, ProxyCounters counters)
    {
        var writer = new StringWriter();
        PrometheusTextWriter.Write(writer, metrics, counters);
        return writer.ToString();
    }

    private sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);

    /// <summary>A strict reader of the text format: every line is a comment or a well-formed sample.</summary>
    private static List<Sample> Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('#'))
            {
                Assert.Matches(@"^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$", line);
                continue;
            }

            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a sample line: {line}");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in LabelPair().Matches(match.Groups["labels"].Value))
            {
                labels.Add(label.Groups[1].Value, Regex.Unescape(label.Groups[2].Value));
            }

            samples.Add(new Sample(match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }

        return samples;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>([a-zA-Z_][a-zA-Z0-9_]*=""([^""\\]|\\.)*"",?)*)\})? (?<value>[-+0-9.eE]+|\+Inf|NaN)$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}
