using Weft.Cli.Commands;
using Weft.Cli.Demo;
using Weft.Proxy.Hosting;

namespace Weft.Cli;

internal static class Program
{
    private const string Usage = """
        weft — a service mesh you can debug

        usage:
          weft up DIR [--prometheus-sd FILE] [--otlp-endpoint URL] [--access-log file|off|stdout] [--drain-timeout 5s]
                                                run the mesh described in DIR until Ctrl-C (FILE: Prometheus file_sd targets)
          weft status [-o json]                 the workloads of the running mesh, their ports and readiness
          weft check                            is the mesh healthy? exits 1 naming what is not
          weft logs WORKLOAD [-f] [--sidecar|--app]  a workload's access log (JSON lines), or its processes' output
          weft explain --from NS/WORKLOAD --to HOST[:PORT] [--method M --path P -H k=v] [-f DIR]
                                                why a request would be routed, allowed or denied
          weft explain --denied WORKLOAD [--limit N]  the latest requests WORKLOAD's sidecar denied, explained
          weft analyze [DIR] [-f FILE ...] [--live] [-o json]  findings about manifests before they are applied (or, --live,
                                                about the running mesh and what its sidecars see); exits 1 on problems
          weft stat [--window 10s] [-n NS] [-o json]  golden signals per workload: success, RPS, latency p50/p95/p99
          weft proxy-config routes|clusters|endpoints|listeners|secret WORKLOAD [-o json]
                                                what a sidecar is actually running
          weft tap WORKLOAD [--path P] [--status 5xx] [--duration D] [-o json]
                                                live stream of a sidecar's requests: identity, status, latency, reason
          weft top WORKLOAD [--duration 5s] [-o json]  the busiest paths through a sidecar
          weft bench URL [--from WORKLOAD] [--rate 100] [--duration 10s] [--warmup 0s] [--connections 16] [--http 1.1|2] [-o json]
                                                fixed-rate load, latency from the scheduled send time; --from sends through WORKLOAD's sidecar
          weft edges [-n NS] [-o json]          who talks to whom: identities, mTLS or plaintext, requests and TCP connections
          weft control-plane [--kubeconfig F] [--context C] [-n NS,...] [--listen ADDR] [--webhook-url URL] [--root-secret NS/NAME]
                                                the control plane of a Kubernetes cluster, run outside it: reads the cluster's
                                                Services, pods and Istio/Gateway API objects; sidecars prove who they are with their
                                                pod's service-account token; --webhook-url registers the validation and injection
                                                webhooks there (--advertise ADDR: where pods reach it; --proxy-image IMAGE);
                                                the CA root is kept in Secret NS/NAME (default weft-system/weft-root-ca)
          weft proxy-ready [--admin ADDR] [--timeout 120s]  wait until the pod's sidecar is ready (the injected postStart hook)
          weft ca rotate [--step-timeout S]     replace the mesh's root CA under traffic (new root trusted, signing, old retired)
          weft restart WORKLOAD [-n NS]         replace a workload's replicas one at a time, each new one ready before the next old one stops
          weft proxy --workload W ...           run a sidecar (started by `weft up`)
          weft proxy --workload W --namespace NS --config FILE --cert FILE --key FILE --trust-bundle FILE [--outbound-port P] [--inbound PORT=LISTEN] [--admin-port P]
                                                a sidecar in static mode, no control plane: FILE is a ProxyConfig in JSON (as
                                                /api/v1/proxies/NS/NAME/config returns it) and PEM certificate, key and roots (bench/)
          weft demo-app --service S --version V the example workloads' app

        options:
          --state-dir DIR   where the running mesh keeps its state (default: $WEFT_HOME or ~/.weft)
          --cert-lifetime D workload certificate lifetime for `up` (default 24h; renewed at half-life)
          --otlp-endpoint URL  `up`: every sidecar exports trace spans over OTLP/HTTP to URL (…/v1/traces added to a base URL)
          --trace-sampling P   `up`: percentage of new traces recorded (default 100; a caller's decision always wins)
        """;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        using var cancellation = new CancellationTokenSource();
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; cancellation.Cancel(); });
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; cancellation.Cancel(); });
        var rest = args[1..];
        try
        {
            return args[0] switch
            {
                "up" => await UpCommand.RunAsync(rest, cancellation.Token),
                "status" => await StatusCommand.RunAsync(rest, cancellation.Token),
                "check" => await CheckCommand.RunAsync(rest, cancellation.Token),
                "logs" => await LogsCommand.RunAsync(rest, cancellation.Token),
                "explain" => await ExplainCommand.RunAsync(rest, cancellation.Token),
                "proxy-config" => await ProxyConfigCommand.RunAsync(rest, cancellation.Token),
                "stat" => await StatCommand.RunAsync(rest, cancellation.Token),
                "analyze" => await AnalyzeCommand.RunAsync(rest, cancellation.Token),
                "ca" => await CaCommand.RunAsync(rest, cancellation.Token),
                "restart" => await RestartCommand.RunAsync(rest, cancellation.Token),
                "control-plane" => await ControlPlaneCommand.RunAsync(rest, cancellation.Token),
                "proxy-ready" => await ProxyReadyCommand.RunAsync(rest, cancellation.Token),
                "edges" => await EdgesCommand.RunAsync(rest, cancellation.Token),
                "tap" => await TapCommand.RunAsync(rest, cancellation.Token),
                "top" => await TopCommand.RunAsync(rest, cancellation.Token),
                "bench" => await BenchCommand.RunAsync(rest, cancellation.Token),
                "proxy" => await ProxyHost.RunAsync(ProxyOptions.Parse(rest), cancellation.Token),
                "demo-app" => await DemoApp.RunAsync(rest, cancellation.Token),
                _ => Fail($"unknown command '{args[0]}'\n\n{Usage}"),
            };
        }
        catch (ArgumentException e)
        {
            return Fail($"weft {args[0]}: {e.Message}");
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return 130;
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 2;
    }
}
