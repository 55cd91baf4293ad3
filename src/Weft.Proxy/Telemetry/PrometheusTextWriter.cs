using System.Diagnostics;
using System.Globalization;

namespace Weft.Proxy.Telemetry;

/// <summary>Writes the proxy's metrics in Prometheus text exposition format 0.0.4.</summary>
internal static class PrometheusTextWriter
{
    public static void Write(TextWriter output, RequestMetrics requests, ProxyCounters counters, TcpMetrics? tcp = null,
        Tracing.TraceExport? tracing = null, AccessLog? accessLog = null)
    {
        var series = requests.Series.ToList();
        output.Write("# HELP istio_requests_total Requests handled by the proxy.\n# TYPE istio_requests_total counter\n");
        foreach (var s in series)
        {
            output.Write("istio_requests_total{");
            WriteLabels(output, s.Key);
            output.Write("} ");
            output.Write(s.Count.ToString(CultureInfo.InvariantCulture));
            output.Write('\n');
        }

        output.Write("# HELP istio_request_duration_milliseconds Request duration.\n# TYPE istio_request_duration_milliseconds histogram\n");
        foreach (var s in series)
        {
            long cumulative = 0;
            for (var i = 0; i < RequestMetrics.DurationBuckets.Length; i++)
            {
                cumulative += s.Bucket(i);
                output.Write("istio_request_duration_milliseconds_bucket{");
                WriteLabels(output, s.Key);
                output.Write(",le=\"");
                output.Write(RequestMetrics.DurationBuckets[i].ToString(CultureInfo.InvariantCulture));
                output.Write("\"} ");
                output.Write(cumulative.ToString(CultureInfo.InvariantCulture));
                output.Write('\n');
            }

            output.Write("istio_request_duration_milliseconds_bucket{");
            WriteLabels(output, s.Key);
            output.Write(",le=\"+Inf\"} ");
            output.Write(s.Count.ToString(CultureInfo.InvariantCulture));
            output.Write("\nistio_request_duration_milliseconds_sum{");
            WriteLabels(output, s.Key);
            output.Write("} ");
            output.Write(s.SumMs.ToString(CultureInfo.InvariantCulture));
            output.Write("\nistio_request_duration_milliseconds_count{");
            WriteLabels(output, s.Key);
            output.Write("} ");
            output.Write(s.Count.ToString(CultureInfo.InvariantCulture));
            output.Write('\n');
        }

        WriteSizeHistogram(output, series, "istio_request_bytes", "Request body sizes in bytes (as received, chunked bodies counted).", static (s, i) => s.RequestSizeBucket(i), static s => s.RequestBytes);
        WriteSizeHistogram(output, series, "istio_response_bytes", "Response body sizes in bytes (as sent, chunked bodies counted).", static (s, i) => s.ResponseSizeBucket(i), static s => s.ResponseBytes);
        if (tcp is not null)
        {
            WriteTcp(output, tcp);
        }

        output.Write("# HELP envoy_cluster_upstream_rq_retry Retries sent upstream, per cluster.\n# TYPE envoy_cluster_upstream_rq_retry counter\n");
        foreach (var (cluster, count) in counters.Retries)
        {
            output.Write($"envoy_cluster_upstream_rq_retry{{cluster_name=\"{Escape(cluster)}\"}} {count.ToString(CultureInfo.InvariantCulture)}\n");
        }

        output.Write("# HELP weft_authz_denied_total Requests and connections denied, per AuthorizationPolicy.\n# TYPE weft_authz_denied_total counter\n");
        foreach (var (policy, count) in counters.Denials)
        {
            output.Write($"weft_authz_denied_total{{policy=\"{Escape(policy)}\"}} {count.ToString(CultureInfo.InvariantCulture)}\n");
        }

        output.Write("# HELP weft_authz_audit_total Requests matched by an AUDIT AuthorizationPolicy (never blocked).\n# TYPE weft_authz_audit_total counter\n");
        foreach (var (policy, count) in counters.Audits)
        {
            output.Write($"weft_authz_audit_total{{policy=\"{Escape(policy)}\"}} {count.ToString(CultureInfo.InvariantCulture)}\n");
        }

        output.Write("# HELP weft_proxy_config_info The config version the proxy serves.\n# TYPE weft_proxy_config_info gauge\n");
        output.Write($"weft_proxy_config_info{{version=\"{Escape(counters.ConfigVersion ?? "")}\"}} 1\n");
        if (counters.CertificateExpiry is { } expiry)
        {
            output.Write("# HELP weft_certificate_expiry_timestamp_seconds When the workload certificate expires.\n# TYPE weft_certificate_expiry_timestamp_seconds gauge\n");
            output.Write($"weft_certificate_expiry_timestamp_seconds {new DateTimeOffset(expiry, TimeSpan.Zero).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}\n");
        }

        var (inbound, outbound) = counters.ActiveConnections;
        output.Write("# HELP weft_active_connections Connections open now, by listener.\n# TYPE weft_active_connections gauge\n");
        output.Write($"weft_active_connections{{direction=\"inbound\"}} {inbound.ToString(CultureInfo.InvariantCulture)}\n");
        output.Write($"weft_active_connections{{direction=\"outbound\"}} {outbound.ToString(CultureInfo.InvariantCulture)}\n");
        output.Write("# HELP weft_outlier_ejected_endpoints Endpoints outlier detection has taken out of load balancing, per cluster.\n# TYPE weft_outlier_ejected_endpoints gauge\n");
        foreach (var (cluster, ejected) in counters.Ejected)
        {
            output.Write($"weft_outlier_ejected_endpoints{{cluster_name=\"{Escape(cluster)}\"}} {ejected.ToString(CultureInfo.InvariantCulture)}\n");
        }

        if (tracing?.Queue is { } queue)
        {
            output.Write("# HELP weft_tracing_spans_exported_total Spans the OTLP collector accepted.\n# TYPE weft_tracing_spans_exported_total counter\n");
            output.Write($"weft_tracing_spans_exported_total {queue.Exported.ToString(CultureInfo.InvariantCulture)}\n");
            output.Write("# HELP weft_tracing_spans_dropped_total Spans dropped because the export queue was full (requests are never held up).\n# TYPE weft_tracing_spans_dropped_total counter\n");
            output.Write($"weft_tracing_spans_dropped_total {queue.Dropped.ToString(CultureInfo.InvariantCulture)}\n");
            output.Write("# HELP weft_tracing_spans_failed_total Spans whose export failed.\n# TYPE weft_tracing_spans_failed_total counter\n");
            output.Write($"weft_tracing_spans_failed_total {queue.Failed.ToString(CultureInfo.InvariantCulture)}\n");
            output.Write("# HELP weft_tracing_queue_spans Spans waiting to be exported.\n# TYPE weft_tracing_queue_spans gauge\n");
            output.Write($"weft_tracing_queue_spans {queue.Queued.ToString(CultureInfo.InvariantCulture)}\n");
        }

        if (accessLog is not null)
        {
            output.Write("# HELP weft_access_log_dropped_total Access log lines dropped because the writer fell behind.\n# TYPE weft_access_log_dropped_total counter\n");
            output.Write($"weft_access_log_dropped_total {accessLog.Dropped.ToString(CultureInfo.InvariantCulture)}\n");
        }

        using var process = Process.GetCurrentProcess();
        output.Write("# HELP process_resident_memory_bytes Resident memory.\n# TYPE process_resident_memory_bytes gauge\n");
        output.Write($"process_resident_memory_bytes {process.WorkingSet64.ToString(CultureInfo.InvariantCulture)}\n");
        output.Write("# HELP process_cpu_seconds_total CPU time.\n# TYPE process_cpu_seconds_total counter\n");
        output.Write($"process_cpu_seconds_total {process.TotalProcessorTime.TotalSeconds.ToString(CultureInfo.InvariantCulture)}\n");
    }

    private static void WriteSizeHistogram(TextWriter output, List<RequestSeries> series, string name, string help,
        Func<RequestSeries, int, long> bucket, Func<RequestSeries, long> sum)
    {
        output.Write($"# HELP {name} {help}\n# TYPE {name} histogram\n");
        foreach (var s in series)
        {
            long cumulative = 0;
            for (var i = 0; i < RequestMetrics.SizeBuckets.Length; i++)
            {
                cumulative += bucket(s, i);
                output.Write(name);
                output.Write("_bucket{");
                WriteLabels(output, s.Key);
                output.Write(",le=\"");
                output.Write(RequestMetrics.SizeBuckets[i].ToString(CultureInfo.InvariantCulture));
                output.Write("\"} ");
                output.Write(cumulative.ToString(CultureInfo.InvariantCulture));
                output.Write('\n');
            }

            output.Write(name);
            output.Write("_bucket{");
            WriteLabels(output, s.Key);
            output.Write(",le=\"+Inf\"} ");
            output.Write(s.Count.ToString(CultureInfo.InvariantCulture));
            output.Write('\n');
            output.Write(name);
            output.Write("_sum{");
            WriteLabels(output, s.Key);
            output.Write("} ");
            output.Write(sum(s).ToString(CultureInfo.InvariantCulture));
            output.Write('\n');
            output.Write(name);
            output.Write("_count{");
            WriteLabels(output, s.Key);
            output.Write("} ");
            output.Write(s.Count.ToString(CultureInfo.InvariantCulture));
            output.Write('\n');
        }
    }

    private static void WriteTcp(TextWriter output, TcpMetrics tcp)
    {
        var series = tcp.Series.ToList();
        WriteTcpCounter(output, series, "istio_tcp_connections_opened_total", "TCP connections opened.", static s => s.ConnectionsOpened);
        WriteTcpCounter(output, series, "istio_tcp_connections_closed_total", "TCP connections closed.", static s => s.ConnectionsClosed);
        WriteTcpCounter(output, series, "istio_tcp_received_bytes_total", "Bytes received from the client (towards the server) on TCP connections.", static s => s.ReceivedBytes);
        WriteTcpCounter(output, series, "istio_tcp_sent_bytes_total", "Bytes sent to the client (from the server) on TCP connections.", static s => s.SentBytes);
    }

    private static void WriteTcpCounter(TextWriter output, List<TcpSeries> series, string name, string help, Func<TcpSeries, long> value)
    {
        output.Write($"# HELP {name} {help}\n# TYPE {name} counter\n");
        foreach (var s in series)
        {
            var key = s.Key;
            output.Write(name);
            output.Write('{');
            WritePeerLabels(output, key.Reporter, key.Source, key.Destination);
            Label(output, "request_protocol", "tcp");
            Label(output, "response_flags", key.Flags);
            Label(output, "connection_security_policy", key.Security == ConnectionSecurity.MutualTls ? "mutual_tls" : "none");
            output.Write("\"} ");
            output.Write(value(s).ToString(CultureInfo.InvariantCulture));
            output.Write('\n');
        }
    }

    private static void WriteLabels(TextWriter output, RequestMetrics.SeriesKey key)
    {
        WritePeerLabels(output, key.Reporter, key.Source, key.Destination);
        Label(output, "request_protocol", "http");
        Label(output, "response_code", key.Code.ToString(CultureInfo.InvariantCulture));
        Label(output, "grpc_response_status", key.GrpcStatus == GrpcStatus.None ? "" : key.GrpcStatus.ToString(CultureInfo.InvariantCulture));
        Label(output, "response_flags", key.Flags);
        Label(output, "connection_security_policy", key.Security == ConnectionSecurity.MutualTls ? "mutual_tls" : "none");
        output.Write('"');
    }

    /// <summary>The reporter and workload labels shared by the HTTP and TCP metrics (leaves the last value's quote open).</summary>
    private static void WritePeerLabels(TextWriter output, Reporter reporter, PeerLabels s, PeerLabels d)
    {
        output.Write("reporter=\"");
        output.Write(reporter == Reporter.Source ? "source" : "destination");
        Label(output, "source_workload", s.Workload);
        Label(output, "source_workload_namespace", s.Namespace);
        Label(output, "source_principal", s.Principal);
        Label(output, "source_app", s.App);
        Label(output, "source_version", s.Version);
        Label(output, "source_canonical_service", s.App);
        Label(output, "source_canonical_revision", s.Version);
        Label(output, "destination_workload", d.Workload);
        Label(output, "destination_workload_namespace", d.Namespace);
        Label(output, "destination_principal", d.Principal);
        Label(output, "destination_app", d.App);
        Label(output, "destination_version", d.Version);
        Label(output, "destination_service", d.Service);
        Label(output, "destination_service_name", d.ServiceName);
        Label(output, "destination_service_namespace", d.ServiceNamespace);
        Label(output, "destination_canonical_service", d.App);
        Label(output, "destination_canonical_revision", d.Version);
    }

    private static void Label(TextWriter output, string name, string value)
    {
        output.Write("\",");
        output.Write(name);
        output.Write("=\"");
        output.Write(Escape(value));
    }

    private static string Escape(string value) =>
        value.AsSpan().IndexOfAny("\\\"\n") < 0 ? value : value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
