using System.Globalization;
using System.Text.Json;

namespace Weft.Cli.Commands;

/// <summary>
/// `weft proxy-config routes|clusters|endpoints|listeners|secret|bootstrap WORKLOAD [-n NS] [-o json]`:
/// what a sidecar is actually running, read from its admin port (its config dump and live endpoint
/// state); `bootstrap` is the process itself (executable, NativeAOT or JIT, GC, event-loop I/O).
/// </summary>
internal static class ProxyConfigCommand
{
    private static readonly string[] Kinds = ["routes", "clusters", "endpoints", "listeners", "secret", "bootstrap"];

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellation)
    {
        var arguments = new CliArguments(args);
        if (arguments.Positionals.Count != 2 || Array.IndexOf(Kinds, arguments.Positionals[0]) < 0)
        {
            throw new ArgumentException($"usage: weft proxy-config {string.Join("|", Kinds)} WORKLOAD [-n NAMESPACE] [-o json]");
        }

        var (kind, name) = (arguments.Positionals[0], arguments.Positionals[1]);
        try
        {
            using var client = MeshApiClient.Open(arguments.StateDirectory);
            var status = await client.GetStatusAsync(cancellation);
            var (workload, admin) = WorkloadFinder.FindWithSidecar(status, name, arguments["-n"]);

            using var http = new HttpClient { BaseAddress = new Uri($"http://{admin}"), Timeout = TimeSpan.FromSeconds(5) };
            using var dump = JsonDocument.Parse(await http.GetStringAsync("/config_dump", cancellation));
            using var clusters = JsonDocument.Parse(await http.GetStringAsync("/clusters", cancellation));
            var config = dump.RootElement.GetProperty("config");
            var section = kind switch
            {
                "routes" => config.GetProperty("outbound"),
                "clusters" or "endpoints" => clusters.RootElement,
                "listeners" => config.GetProperty("inbound"),
                "bootstrap" => dump.RootElement.GetProperty("runtime"),
                _ => dump.RootElement.GetProperty("certificate"),
            };
            if (arguments.Json)
            {
                Console.WriteLine(JsonSerializer.Serialize(section, new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }

            Console.WriteLine($"{workload.Namespace}/{name}: config version {dump.RootElement.GetProperty("version").GetString()}");
            Console.Write(kind switch
            {
                "routes" => Routes(section),
                "clusters" => Clusters(section),
                "endpoints" => Endpoints(section),
                "listeners" => Listeners(section, workload),
                "bootstrap" => Bootstrap(section),
                _ => Secret(section),
            });
            return 0;
        }
        catch (MeshNotRunningException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        catch (HttpRequestException e)
        {
            Console.Error.WriteLine($"the sidecar's admin port does not answer: {e.Message}");
            return 1;
        }
    }

    private static string Routes(JsonElement hosts) => TableWriter.Format(
        ["SERVICE", "ROUTE", "MATCH", "DESTINATIONS", "RETRIES", "TIMEOUT"],
        hosts.EnumerateArray().SelectMany(host => host.GetProperty("routes").EnumerateArray().Select(route => (IReadOnlyList<string>)
        [
            host.GetProperty("name").GetString()!,
            $"{route.GetProperty("source").GetString()} {route.GetProperty("name").GetString()}",
            route.GetProperty("matches").GetArrayLength() == 0 ? "*" : $"{route.GetProperty("matches").GetArrayLength()} match(es)",
            string.Join(", ", route.GetProperty("destinations").EnumerateArray().Select(d => $"{d.GetProperty("cluster").GetString()} {d.GetProperty("weight").GetInt32()}")),
            route.TryGetProperty("retries", out var retries) && retries.ValueKind == JsonValueKind.Object
                ? $"{retries.GetProperty("attempts").GetInt32()} on {string.Join(",", retries.GetProperty("retryOn").EnumerateArray().Select(r => r.GetString()))}"
                : "-",
            route.TryGetProperty("timeout", out var timeout) && timeout.ValueKind == JsonValueKind.String ? timeout.GetString()! : "-",
        ])));

    private static string Bootstrap(JsonElement runtime)
    {
        var gen0 = runtime.GetProperty("gen0BudgetBytes").GetInt64();
        return TableWriter.Format(["SETTING", "VALUE"],
        [
            ["executable", runtime.GetProperty("executable").GetString() ?? "-"],
            ["build", $"{(runtime.GetProperty("nativeAot").GetBoolean() ? "NativeAOT" : "JIT")} ({runtime.GetProperty("framework").GetString()})"],
            ["gc", $"{runtime.GetProperty("gc").GetString()}, gen0 budget " + (gen0 == 0
                ? "sized by the runtime"
                : $"{(gen0 / (1024.0 * 1024)).ToString("0.##", CultureInfo.InvariantCulture)} MiB ({runtime.GetProperty("gen0BudgetSource").GetString()})")],
            ["event-loop I/O", runtime.GetProperty("eventLoopIo").GetBoolean() ? "on" : "off"],
            ["processors", runtime.GetProperty("processors").GetInt32().ToString(CultureInfo.InvariantCulture)],
        ]);
    }

    private static string Clusters(JsonElement clusters) => TableWriter.Format(
        ["CLUSTER", "LB", "MTLS", "ENDPOINTS"],
        clusters.EnumerateArray().Select(c => (IReadOnlyList<string>)
        [
            c.GetProperty("name").GetString()!,
            c.GetProperty("loadBalancer").GetString()!,
            c.GetProperty("mtls").GetBoolean() ? "yes" : "no",
            c.GetProperty("endpoints").GetArrayLength().ToString(CultureInfo.InvariantCulture),
        ]));

    private static string Endpoints(JsonElement clusters) => TableWriter.Format(
        ["CLUSTER", "ADDRESS", "WORKLOAD", "IDENTITY", "OUTSTANDING", "LATENCY_EWMA"],
        clusters.EnumerateArray().SelectMany(c => c.GetProperty("endpoints").EnumerateArray().Select(e => (IReadOnlyList<string>)
        [
            c.GetProperty("name").GetString()!,
            e.GetProperty("address").GetString()!,
            $"{e.GetProperty("namespace").GetString()}/{e.GetProperty("workload").GetString()}",
            e.GetProperty("identity").GetString() is { Length: > 0 } id ? id : "(no sidecar)",
            e.GetProperty("outstanding").GetInt32().ToString(CultureInfo.InvariantCulture),
            $"{e.GetProperty("latencyEwmaMs").GetDouble().ToString("0.###", CultureInfo.InvariantCulture)} ms",
        ])));

    private static string Listeners(JsonElement inbound, ControlPlane.Api.WorkloadStatus workload)
    {
        var captured = workload.InOwnNetwork;
        var rows = new List<IReadOnlyList<string>>
        {
            new[]
            {
                "outbound", workload.OutboundPort?.ToString(CultureInfo.InvariantCulture) ?? "-",
                captured ? "every TCP connection the app opens (iptables), routed by original destination" : "HTTP proxy for the app (HTTP/1.1, h2c, CONNECT)", "-", "-",
            },
        };
        foreach (var port in inbound.EnumerateArray())
        {
            var workloadPort = port.GetProperty("port").GetInt32();
            var policy = port.GetProperty("mtlsPolicy").GetString();
            rows.Add([
                $"inbound {workloadPort}",
                workload.InboundPorts.TryGetValue(workloadPort, out var listen) ? listen.ToString(CultureInfo.InvariantCulture) : "-",
                (captured ? "via 15006 (iptables) " : "") + $"→ app {port.GetProperty("appAddress").GetString()} ({port.GetProperty("appProtocol").GetString()})",
                port.GetProperty("mtlsMode").GetString()!.Replace("MTLS_MODE_", "", StringComparison.Ordinal),
                string.IsNullOrEmpty(policy) ? "default" : policy,
            ]);
        }

        rows.Add(["admin", workload.AdminPort?.ToString(CultureInfo.InvariantCulture) ?? "-", "/ready /metrics /config_dump /clusters", "-", "-"]);
        return TableWriter.Format(["LISTENER", "PORT", "DOES", "MTLS", "DECIDED_BY"], rows);
    }

    private static string Secret(JsonElement certificate) =>
        certificate.ValueKind != JsonValueKind.Object
            ? "no certificate yet\n"
            : TableWriter.Format(["IDENTITY", "SERIAL", "NOT_BEFORE", "NOT_AFTER", "ISSUER", "TRUSTED_ROOTS"],
            [
                [
                    certificate.GetProperty("spiffeId").GetString()!,
                    certificate.GetProperty("serial").GetString()!,
                    certificate.GetProperty("notBefore").GetString()!,
                    certificate.GetProperty("notAfter").GetString()!,
                    certificate.GetProperty("issuer").GetString()!,
                    string.Join("; ", certificate.GetProperty("roots").EnumerateArray().Select(r => r.GetString())),
                ],
            ]);
}
