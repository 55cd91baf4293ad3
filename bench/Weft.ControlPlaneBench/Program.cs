using System.Diagnostics;
using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Weft.Protocol.Identity;
using Weft.Protocol.V1;

namespace Weft.ControlPlaneBench;

/// <summary>
/// How the control plane scales with the number of proxies. For each N: a real control plane runs
/// in a child process over a manifest directory of N client workloads calling one service split
/// 90/10 between two subsets; N simulated proxies in this process open the real
/// ConfigDiscovery.StreamConfig stream (one each, over shared HTTP/2 connections), ACK every
/// snapshot, and note when they hold the config with the new split. Then the VirtualService's
/// weights are edited in the file, several times, and the time from the write until the first and
/// the last proxy ACKed the new split is measured, with the control plane's CPU time and RSS
/// (from /proc). Last, CertificateAuthority.Sign throughput with concurrent callers.
///
///   dotnet run -c Release --project bench/Weft.ControlPlaneBench -- [-n 100,1000,5000] [--edits 5]
///       [--sign-requests 2000] [--sign-concurrency 16]
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 4 && args[0] == "serve")
        {
            return await ServeMode.RunAsync(args[1], args[2], args[3]);
        }

        var sizes = new List<int> { 100, 1000, 5000 };
        int edits = 5, signRequests = 2000, signConcurrency = 16;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "-n": sizes = args[i + 1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList(); break;
                case "--edits": edits = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--sign-requests": signRequests = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--sign-concurrency": signConcurrency = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }

        Console.WriteLine($"# control-plane scale, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        Console.WriteLine();
        Console.WriteLine("| N proxies | registration ms | connect + initial ACK ms | edit → first ACK ms (median / max) | edit → all N ACKed ms (median / max) | CP CPU ms per edit (median) | CP RSS MiB after edits / peak | sign/s | CP CPU ms per sign |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var n in sizes)
        {
            var row = await RunAsync(n, edits, signRequests, signConcurrency);
            Console.WriteLine(row);
        }

        return 0;
    }

    private static async Task<string> RunAsync(int n, int edits, int signRequests, int signConcurrency)
    {
        var root = Directory.CreateTempSubdirectory("weft-cpbench-").FullName;
        var config = Path.Combine(root, "config");
        Directory.CreateDirectory(config);
        await File.WriteAllTextAsync(Path.Combine(config, "mesh.yaml"), Manifests(n));
        var traffic = Path.Combine(config, "traffic.yaml");
        await File.WriteAllTextAsync(traffic, Traffic(10));
        var readyFile = Path.Combine(root, "ready.json");

        // The same program in serve mode (run as `dotnet X.dll` or as its apphost).
        List<string> serve = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? [typeof(Program).Assembly.Location] : [];
        serve.AddRange(["serve", config, Path.Combine(root, "state"), readyFile]);
        using var child = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, serve)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // As `weft up` runs it: the weft executable is built with Server GC (Web SDK default).
            Environment = { ["DOTNET_gcServer"] = "1" },
        })!;
        var childOutput = new StringBuilder();
        child.OutputDataReceived += (_, e) => { lock (childOutput) { childOutput.AppendLine(e.Data); } };
        child.ErrorDataReceived += (_, e) => { lock (childOutput) { childOutput.AppendLine(e.Data); } };
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        try
        {
            var deadline = Stopwatch.StartNew();
            while (!File.Exists(readyFile))
            {
                if (child.HasExited || deadline.Elapsed > TimeSpan.FromMinutes(10))
                {
                    throw new InvalidOperationException($"the control plane did not start:\n{childOutput}");
                }

                await Task.Delay(50);
            }

            var ready = JsonSerializer.Deserialize<ReadyFile>(await File.ReadAllTextAsync(readyFile))!;
            using var channel = Channel(ready);
            var fleet = new Fleet(n);
            using var stop = new CancellationTokenSource();
            var discovery = new ConfigDiscovery.ConfigDiscoveryClient(channel);

            fleet.Expect(10);
            var connectStarted = Stopwatch.GetTimestamp();
            var proxies = Enumerable.Range(0, n).Select(i => RunProxyAsync(discovery, $"client-{i}", ready.Tokens[$"client-{i}"], fleet, stop.Token)).ToList();
            var initial = await fleet.AllReached.WaitAsync(TimeSpan.FromMinutes(5));
            var connectMs = Stopwatch.GetElapsedTime(connectStarted, initial).TotalMilliseconds;

            var firsts = new List<double>();
            var lasts = new List<double>();
            var cpu = new List<double>();
            for (var edit = 0; edit < edits; edit++)
            {
                var weight = edit % 2 == 0 ? 50 : 10;
                await Task.Delay(300); // let the watcher's debounce of the previous edit pass
                fleet.Expect(weight);
                var cpuBefore = CpuMs(child.Id);
                var written = Stopwatch.GetTimestamp();
                await File.WriteAllTextAsync(traffic, Traffic(weight));
                var all = await fleet.AllReached.WaitAsync(TimeSpan.FromMinutes(5));
                cpu.Add(CpuMs(child.Id) - cpuBefore);
                firsts.Add(Stopwatch.GetElapsedTime(written, fleet.FirstReached).TotalMilliseconds);
                lasts.Add(Stopwatch.GetElapsedTime(written, all).TotalMilliseconds);
            }

            var (rss, peak) = Memory(child.Id);
            var (signRate, signCpu) = await SignAsync(channel, ready, n, signRequests, signConcurrency, child.Id);

            await stop.CancelAsync();
            await Task.WhenAll(proxies.Select(p => p.ContinueWith(_ => { }, TaskScheduler.Default)));
            return string.Create(CultureInfo.InvariantCulture,
                $"| {n} | {ready.RegistrationMs:F0} | {connectMs:F0} | {Median(firsts):F0} / {firsts.Max():F0} | {Median(lasts):F0} / {lasts.Max():F0} | {Median(cpu):F0} | {rss / 1024.0:F1} / {peak / 1024.0:F1} | {signRate:F0} | {signCpu:F2} |");
        }
        finally
        {
            child.StandardInput.Close();
            if (!child.WaitForExit(10_000))
            {
                child.Kill();
                child.WaitForExit();
            }

            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>One simulated proxy: the real stream, ACKing every snapshot with its version, as Weft.Proxy's DiscoveryClient does.</summary>
    private static async Task RunProxyAsync(ConfigDiscovery.ConfigDiscoveryClient client, string workload, string token, Fleet fleet, CancellationToken cancellation)
    {
        try
        {
            using var call = client.StreamConfig(cancellationToken: cancellation);
            await call.RequestStream.WriteAsync(new DiscoveryRequest
            {
                Node = new Node { Workload = workload, Namespace = "bench", BootstrapToken = token, ProxyVersion = "cpbench", AdminAddress = "127.0.0.1:0" },
            }, cancellation);
            await foreach (var snapshot in call.ResponseStream.ReadAllAsync(cancellation))
            {
                await call.RequestStream.WriteAsync(new DiscoveryRequest { VersionInfo = snapshot.Version, ResponseNonce = snapshot.Nonce }, cancellation);
                fleet.Acked(CanaryWeight(snapshot.Config));
            }
        }
        catch (Exception e) when (e is OperationCanceledException || (e is RpcException r && r.StatusCode == StatusCode.Cancelled))
        {
        }
    }

    private static uint CanaryWeight(ProxyConfig config)
    {
        foreach (var host in config.Outbound)
        {
            if (host.ServiceName == "server")
            {
                foreach (var destination in host.Routes[0].Destinations)
                {
                    if (destination.Cluster.Contains("|v2|", StringComparison.Ordinal))
                    {
                        return destination.Weight;
                    }
                }
            }
        }

        return 0;
    }

    private static async Task<(double Rate, double CpuMsPerSign)> SignAsync(GrpcChannel channel, ReadyFile ready, int n, int requests, int concurrency, int cpPid)
    {
        var ca = new Protocol.V1.CertificateAuthority.CertificateAuthorityClient(channel);
        var id = new SpiffeId("cluster.local", "bench", "client");
        // The proxies' side of the work (key generation, CSR) is done before the clock starts.
        var csrs = Enumerable.Range(0, requests).Select(_ =>
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return WorkloadCsr.CreatePem(key, id);
        }).ToArray();
        var next = -1;
        var cpuBefore = CpuMs(cpPid);
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var workload = $"client-{i % n}";
                var response = await ca.SignAsync(new SignRequest
                {
                    Node = new Node { Workload = workload, Namespace = "bench", BootstrapToken = ready.Tokens[workload] },
                    CsrPem = csrs[i],
                });
                if (response.CertificateChainPem.Count == 0)
                {
                    throw new InvalidOperationException("no certificate returned");
                }
            }
        }));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return (requests / seconds, (CpuMs(cpPid) - cpuBefore) / requests);
    }

    private static GrpcChannel Channel(ReadyFile ready)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck, DisableCertificateDownloads = true };
        policy.CustomTrustStore.Add(X509Certificate2.CreateFromPem(ready.RootPem));
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = policy,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => certificate is not null && errors == SslPolicyErrors.None,
            },
        };
        return GrpcChannel.ForAddress(ready.DiscoveryAddress, new GrpcChannelOptions { HttpHandler = handler });
    }

    private static string Manifests(int n)
    {
        var yaml = new StringBuilder("""
            apiVersion: v1
            kind: Service
            metadata: {name: server, namespace: bench}
            spec: {selector: {app: server}, ports: [{name: http, port: 80, targetPort: 8080}]}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: server, namespace: bench}
            spec:
              host: server
              subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
            ---
            apiVersion: weft.dev/v1alpha1
            kind: Workload
            metadata: {name: server-v1, namespace: bench, labels: {app: server, version: v1}}
            spec: {serviceAccount: server, ports: [{name: http, port: 8080}], command: [sleep, infinity]}
            ---
            apiVersion: weft.dev/v1alpha1
            kind: Workload
            metadata: {name: server-v2, namespace: bench, labels: {app: server, version: v2}}
            spec: {serviceAccount: server, ports: [{name: http, port: 8080}], command: [sleep, infinity]}

            """);
        for (var i = 0; i < n; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $$$"""
                ---
                apiVersion: weft.dev/v1alpha1
                kind: Workload
                metadata: {name: client-{{{i}}}, namespace: bench, labels: {app: client}}
                spec: {serviceAccount: client, ports: [], command: [sleep, infinity]}

                """);
        }

        return yaml.ToString();
    }

    private static string Traffic(int canaryWeight) => $$$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: server, namespace: bench}
        spec:
          hosts: [server]
          http:
          - route:
            - destination: {host: server, subset: v1}
              weight: {{{100 - canaryWeight}}}
            - destination: {host: server, subset: v2}
              weight: {{{canaryWeight}}}

        """;

    private static double CpuMs(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks * 10.0; // USER_HZ is 100 on Linux
    }

    private static (long RssKb, long PeakKb) Memory(int pid)
    {
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }

        return (rss, peak);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>Counts the proxies holding the expected split; completes when all N do.</summary>
    private sealed class Fleet(int size)
    {
        private int _expected = -1;
        private int _reached;
        private TaskCompletionSource<long> _all = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long FirstReached { get; private set; }

        public Task<long> AllReached => _all.Task;

        public void Expect(int weight)
        {
            _all = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            _reached = 0;
            Volatile.Write(ref _expected, weight);
        }

        public void Acked(uint weight)
        {
            if (weight != (uint)Volatile.Read(ref _expected))
            {
                return;
            }

            var now = Stopwatch.GetTimestamp();
            var count = Interlocked.Increment(ref _reached);
            if (count == 1)
            {
                FirstReached = now;
            }

            if (count == size)
            {
                _all.TrySetResult(now);
            }
        }
    }
}
