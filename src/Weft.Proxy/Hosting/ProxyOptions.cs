using System.Globalization;

namespace Weft.Proxy.Hosting;

/// <summary>
/// A proxy's bootstrap: who it is, where its control plane is, and which ports it listens on.
/// Everything else — routes, clusters, policies — arrives from the control plane; or, in static
/// mode (<see cref="Static"/>), from files read once at start.
/// </summary>
public sealed class ProxyOptions
{
    public required string Workload { get; init; }
    public required string Namespace { get; init; }
    public required string ServiceAccount { get; init; }
    public string TrustDomain { get; init; } = "cluster.local";

    /// <summary>The control plane's gRPC endpoint, e.g. https://127.0.0.1:15012. Empty in static mode.</summary>
    public string ControlPlaneAddress { get; init; } = "";

    /// <summary>PEM file with the root(s) that sign the control plane's serving certificate. Empty in static mode.</summary>
    public string ControlPlaneRootFile { get; init; } = "";

    /// <summary>File holding this proxy's bootstrap token. Empty in static mode.</summary>
    public string TokenFile { get; init; } = "";

    /// <summary>Set: static mode — no control plane; config and certificate come from these files.</summary>
    public StaticBootstrap? Static { get; init; }

    /// <summary>Where the application sends outbound requests (explicit HTTP proxy). 0: none.</summary>
    public int OutboundPort { get; init; }

    public int AdminPort { get; init; }

    /// <summary>Workload port → the port this proxy accepts that workload port's inbound traffic on.</summary>
    public Dictionary<int, int> InboundPorts { get; init; } = [];

    /// <summary>
    /// Set: transparent mode. The proxy runs in the workload's network namespace, whose address this
    /// is; iptables redirects the app's outbound connections to <see cref="OutboundPort"/> and every
    /// inbound one to <see cref="InboundCapturePort"/>, and the original destination decides. The
    /// values of <see cref="InboundPorts"/> are then the workload ports themselves.
    /// </summary>
    public System.Net.IPAddress? PodAddress { get; init; }

    /// <summary>Transparent mode: the port inbound connections are redirected to (Istio's 15006).</summary>
    public int InboundCapturePort { get; init; }

    public bool Transparent => PodAddress is not null;

    /// <summary>Where the access log goes: a file, "-" for standard output, or "off" (the default).</summary>
    public string? AccessLog { get; init; }

    /// <summary>OTLP/HTTP collector spans are exported to (a base URL gets /v1/traces); null: tracing off.</summary>
    public string? OtlpEndpoint { get; init; }

    /// <summary>Percentage of new traces recorded (a caller's sampling decision always wins). The default is 100.</summary>
    public double TraceSamplingPercent { get; init; } = 100;

    /// <summary>Exit when this process (the one that started the proxy) is gone.</summary>
    public int? ParentProcessId { get; init; }

    /// <summary>The URL spans are posted to for an --otlp-endpoint value; throws ArgumentException when it is not an http(s) URL.</summary>
    public static string OtlpTracesUrl(string endpoint) => Telemetry.Tracing.TraceExport.TracesUrl(endpoint).ToString();

    public static ProxyOptions Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var inbound = new Dictionary<int, int>();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                throw new ArgumentException($"unexpected argument '{name}'; options are --name value");
            }

            var value = args[++i];
            if (name == "--inbound")
            {
                var parts = value.Split('=', 2);
                if (parts.Length != 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var workloadPort) || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var listenPort))
                {
                    throw new ArgumentException($"--inbound expects WORKLOAD_PORT=LISTEN_PORT, not '{value}'");
                }

                inbound[workloadPort] = listenPort;
                continue;
            }

            values[name[2..]] = value;
        }

        string Required(string name) => values.TryGetValue(name, out var v) ? v : throw new ArgumentException($"--{name} is required");
        if (values.ContainsKey("config"))
        {
            foreach (var name in (string[])["control-plane", "control-plane-root", "token-file"])
            {
                if (values.ContainsKey(name))
                {
                    throw new ArgumentException($"--{name} and --config exclude each other (--config: static mode, no control plane)");
                }
            }
        }

        int Port(string name) => values.TryGetValue(name, out var v)
            ? int.TryParse(v, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535 ? port : throw new ArgumentException($"--{name}: '{v}' is not a port")
            : 0;

        var isStatic = values.ContainsKey("config");
        System.Net.IPAddress? podAddress = null;
        if (values.TryGetValue("pod-ip", out var podIp) && !System.Net.IPAddress.TryParse(podIp, out podAddress))
        {
            throw new ArgumentException($"--pod-ip: '{podIp}' is not an IP address");
        }

        if (podAddress is not null && Port("capture-inbound") == 0)
        {
            throw new ArgumentException("--pod-ip (transparent mode) needs --capture-inbound PORT");
        }

        return new ProxyOptions
        {
            Workload = Required("workload"),
            Namespace = Required("namespace"),
            ServiceAccount = values.GetValueOrDefault("service-account") ?? "default",
            TrustDomain = values.GetValueOrDefault("trust-domain") ?? "cluster.local",
            ControlPlaneAddress = isStatic ? "" : Required("control-plane"),
            ControlPlaneRootFile = isStatic ? "" : Required("control-plane-root"),
            TokenFile = isStatic ? "" : Required("token-file"),
            Static = isStatic ? new StaticBootstrap(Required("config"), Required("cert"), Required("key"), Required("trust-bundle")) : null,
            OutboundPort = Port("outbound-port"),
            AdminPort = Port("admin-port"),
            InboundPorts = inbound,
            PodAddress = podAddress,
            InboundCapturePort = podAddress is null ? 0 : Port("capture-inbound"),
            AccessLog = values.GetValueOrDefault("access-log"),
            OtlpEndpoint = values.GetValueOrDefault("otlp-endpoint") is { } otlp ? OtlpTracesUrl(otlp) : null,
            TraceSamplingPercent = values.TryGetValue("trace-sampling", out var sampling)
                ? double.TryParse(sampling, NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) && percent is >= 0 and <= 100 ? percent : throw new ArgumentException($"--trace-sampling: '{sampling}' is not a percentage (0-100)")
                : 100,
            ParentProcessId = values.TryGetValue("parent-pid", out var parent) ? int.Parse(parent, CultureInfo.InvariantCulture) : null,
        };
    }
}

/// <summary>
/// Static mode's inputs, for running a sidecar without a control plane (benchmarks, debugging):
/// <paramref name="ConfigFile"/> holds a <c>ProxyConfig</c> in protobuf JSON — what the control
/// plane's <c>/api/v1/proxies/NS/NAME/config</c> returns — and the other three are PEM files: the
/// workload certificate (with its SPIFFE URI SAN), its private key, and the roots peers' certificates
/// must chain to. Read once at start; nothing is renewed or reloaded.
/// </summary>
public sealed record StaticBootstrap(string ConfigFile, string CertificateFile, string KeyFile, string TrustBundleFile);
