using System.Diagnostics;
using System.Globalization;

namespace Weft.Proxy.Telemetry;

/// <summary>Writes the proxy's metrics in Prometheus text exposition format 0.0.4.</summary>
internal static class PrometheusTextWriter
{
    public static void Write(TextWriter output, RequestMetrics requests, ProxyCounters counters)
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

        using var process = Process.GetCurrentProcess();
        output.Write("# HELP process_resident_memory_bytes Resident memory.\n# TYPE process_resident_memory_bytes gauge\n");
        output.Write($"process_resident_memory_bytes {process.WorkingSet64.ToString(CultureInfo.InvariantCulture)}\n");
        output.Write("# HELP process_cpu_seconds_total CPU time.\n# TYPE process_cpu_seconds_total counter\n");
        output.Write($"process_cpu_seconds_total {process.TotalProcessorTime.TotalSeconds.ToString(CultureInfo.InvariantCulture)}\n");
    }

    private static void WriteLabels(TextWriter output, RequestMetrics.SeriesKey key)
    {
        var s = key.Source;
        var d = key.Destination;
        output.Write("reporter=\"");
        output.Write(key.Reporter == Reporter.Source ? "source" : "destination");
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
        Label(output, "request_protocol", "http");
        Label(output, "response_code", key.Code.ToString(CultureInfo.InvariantCulture));
        Label(output, "grpc_response_status", key.GrpcStatus == GrpcStatus.None ? "" : key.GrpcStatus.ToString(CultureInfo.InvariantCulture));
        Label(output, "response_flags", key.Flags);
        Label(output, "connection_security_policy", key.Security == ConnectionSecurity.MutualTls ? "mutual_tls" : "none");
        output.Write('"');
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
