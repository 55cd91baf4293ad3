using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Weft.Proxy.Hosting;

namespace Weft.Cli.Demo;

/// <summary>
/// The example workloads' application (like Istio's httpbin/fortio): answers with its service,
/// version and instance, and can be told to fail or hang a share of requests so the mesh's
/// resilience is visible. Behaviour is set by flags, changed at runtime through
/// PUT /demo/behavior?fail=0.5&amp;status=503&amp;hang=0.1&amp;delay=200 (ms before every answer), or per request with x-demo-fail, x-demo-hang
/// (shares) and x-demo-hang-once (hang the first request carrying that value, answer the next).
/// For the runtime's probes and restarts: /demo/ready and /demo/healthz (flipped by PUT), POST
/// /demo/crash?code=N, and --exit-after MS --exit-code N.
/// </summary>
internal static class DemoApp
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellation)
    {
        var service = Option(args, "--service") ?? Environment.GetEnvironmentVariable("WEFT_SERVICE") ?? "demo";
        var version = Option(args, "--version") ?? "v1";
        var portText = Option(args, "--port") ?? Environment.GetEnvironmentVariable("PORT") ?? "8080";
        var instance = Environment.GetEnvironmentVariable("WEFT_INSTANCE") ?? Environment.MachineName;
        var behavior = new Behavior
        {
            FailRate = double.Parse(Option(args, "--fail-rate") ?? "0", CultureInfo.InvariantCulture),
            FailStatus = int.Parse(Option(args, "--fail-status") ?? "503", CultureInfo.InvariantCulture),
            HangRate = double.Parse(Option(args, "--hang-rate") ?? "0", CultureInfo.InvariantCulture),
        };

        // --grpc-port P: also serve gRPC (HTTP/2 cleartext) where `weft up` says workload port P listens.
        var grpcPort = Option(args, "--grpc-port") is { } p ? Environment.GetEnvironmentVariable($"WEFT_PORT_{p}") ?? p : null;

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(new DemoIdentity(service, version, instance));
        var tcpPorts = (Option(args, "--tcp-echo-port") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries);
        // In a pod of its own (transparent mode) the app listens on every address, as apps in Kubernetes do.
        var listenAddress = ListenAddress();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(listenAddress, int.Parse(portText, CultureInfo.InvariantCulture));
            foreach (var extra in ExtraHttpPorts(portText, grpcPort, tcpPorts))
            {
                k.Listen(listenAddress, extra);
            }

            if (grpcPort is not null)
            {
                k.Listen(listenAddress, int.Parse(grpcPort, CultureInfo.InvariantCulture), listen => listen.Protocols = HttpProtocols.Http2);
            }
        });
        var app = builder.Build();
        app.UseWebSockets();
        app.MapGrpcService<EchoService>();
        app.Map("/ws", async context =>
        {
            // Echoes every message back, prefixed with the workload that answered.
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (received.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", context.RequestAborted);
                    return;
                }

                var text = $"{service}/{version}: {System.Text.Encoding.UTF8.GetString(buffer, 0, received.Count)}";
                await socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(text), System.Net.WebSockets.WebSocketMessageType.Text, true, context.RequestAborted);
            }
        });
        var outbound = new HttpClient(); // honours HTTP_PROXY: the sidecar

        app.MapPut("/demo/behavior", (HttpContext context) =>
        {
            var query = context.Request.Query;
            behavior = new Behavior
            {
                FailRate = query.TryGetValue("fail", out var f) ? double.Parse(f!, CultureInfo.InvariantCulture) : 0,
                FailStatus = query.TryGetValue("status", out var s) ? int.Parse(s!, CultureInfo.InvariantCulture) : 503,
                HangRate = query.TryGetValue("hang", out var h) ? double.Parse(h!, CultureInfo.InvariantCulture) : 0,
                DelayMs = query.TryGetValue("delay", out var d) ? int.Parse(d!, CultureInfo.InvariantCulture) : 0,
            };
            return Results.Json(behavior);
        });
        // Probe targets (/demo/ready, /demo/healthz), flipped with PUT /demo/ready?ok=false and
        // PUT /demo/live?ok=false; POST /demo/crash?code=N exits at once, as a crash would.
        var ready = true;
        var live = true;
        app.MapGet("/demo/ready", () => ready ? Results.Text("ready\n") : Results.Text("not ready\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/demo/healthz", () => live ? Results.Text("ok\n") : Results.Text("unhealthy\n", statusCode: StatusCodes.Status500InternalServerError));
        app.MapPut("/demo/ready", (bool ok) => Results.Text($"ready: {ready = ok}\n"));
        app.MapPut("/demo/live", (bool ok) => Results.Text($"live: {live = ok}\n"));
        app.MapPost("/demo/crash", (int? code) =>
        {
            Console.WriteLine($"crashing with exit code {code ?? 1} as asked");
            // After this answer is sent: exiting inside the request would wait on its own shutdown.
            _ = Task.Delay(50).ContinueWith(_ => Environment.Exit(code ?? 1), TaskScheduler.Default);
            return Results.Text("crashing\n");
        });
        var requestCount = 0L;
        var shadowCount = 0L;
        app.MapGet("/demo/behavior", () => Results.Json(behavior));
        app.MapGet("/demo/stats", () => Results.Json(new { requests = Interlocked.Read(ref requestCount), shadowRequests = Interlocked.Read(ref shadowCount) }));
        app.MapGet("/call", async (HttpContext context) =>
        {
            // Calls another service through the mesh, e.g. /call?url=http://payments/ — passing the trace
            // context on, as an app in a mesh must for its calls to join the trace it serves.
            var url = context.Request.Query["url"].ToString();
            using var call = new HttpRequestMessage(HttpMethod.Get, url);
            foreach (var name in PropagatedHeaders)
            {
                if (context.Request.Headers.TryGetValue(name, out var value))
                {
                    call.Headers.TryAddWithoutValidation(name, value.ToString());
                }
            }

            using var response = await outbound.SendAsync(call, context.RequestAborted);
            context.Response.StatusCode = (int)response.StatusCode;
            await context.Response.WriteAsync(await response.Content.ReadAsStringAsync(context.RequestAborted));
        });
        var hungOnce = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        app.MapFallback(async context =>
        {
            var current = behavior;
            var n = Interlocked.Increment(ref requestCount) - 1;
            if (context.Request.Host.Host.EndsWith("-shadow", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref shadowCount);
            }

            if (current.DelayMs > 0)
            {
                await Task.Delay(current.DelayMs, context.RequestAborted);
            }

            var hang = Header(context, "x-demo-hang") ?? current.HangRate;
            var fail = Header(context, "x-demo-fail") ?? current.FailRate;
            var hangOnceKey = context.Request.Headers["x-demo-hang-once"].ToString();
            // Deterministic failures by retry attempt (the sidecar numbers attempts in x-weft-attempt):
            // x-demo-fail-attempts: 2 fails the first two attempts with x-demo-status (default 503);
            // x-demo-reset-attempts: 1 drops the connection on the first attempt.
            var attempt = int.TryParse(context.Request.Headers["x-weft-attempt"], out var a) ? a : 1;
            if (attempt <= (Header(context, "x-demo-reset-attempts") ?? 0))
            {
                context.Abort();
                return;
            }

            if (attempt <= (Header(context, "x-demo-fail-attempts") ?? 0))
            {
                await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted); // the whole request was sent before it failed
                context.Response.StatusCode = (int)(Header(context, "x-demo-status") ?? current.FailStatus);
                await context.Response.WriteAsync($"failing attempt {attempt} as asked\n");
                return;
            }

            if (Share.Hit(n, hang) || (hangOnceKey.Length > 0 && hungOnce.TryAdd(hangOnceKey, true)))
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }

            // Read the whole body (so a client's bytes all cross the mesh) and tell its size.
            long bodyBytes = 0;
            var chunk = new byte[16 * 1024];
            for (int read; (read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0;)
            {
                bodyBytes += read;
            }

            var status = Share.Hit(n, fail) ? current.FailStatus : 200;
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["service"] = service,
                ["version"] = version,
                ["instance"] = instance,
                ["status"] = status,
                ["method"] = context.Request.Method,
                ["path"] = context.Request.Path.Value,
                ["host"] = context.Request.Host.Value,
                ["caller"] = context.Request.Headers["x-forwarded-client-cert"].ToString() is { Length: > 0 } xfcc ? xfcc : null,
                ["attempt"] = attempt,
                ["query"] = context.Request.QueryString.Value,
                ["bodyBytes"] = bodyBytes,
                ["headers"] = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
            }) + "\n");
        });

        // --exit-after MS [--exit-code N]: ends by itself, for restart policies and crash loops.
        if (Option(args, "--exit-after") is { } exitAfter)
        {
            var code = int.Parse(Option(args, "--exit-code") ?? "1", CultureInfo.InvariantCulture);
            await Task.Delay(int.Parse(exitAfter, CultureInfo.InvariantCulture), cancellation);
            Console.WriteLine($"{service}/{version} ({instance}): exiting with code {code} as asked");
            return code;
        }

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        foreach (var tcpPort in tcpPorts)
        {
            // --tcp-echo-port P[,Q]: line-echo TCP servers where `weft up` says workload ports P, Q listen.
            var port = int.Parse(Environment.GetEnvironmentVariable($"WEFT_PORT_{tcpPort}") ?? tcpPort, CultureInfo.InvariantCulture);
            _ = TcpEcho.RunAsync(listenAddress, port, $"{service}/{version}", stopping.Token);
        }

        await app.RunAsync(stopping.Token);
        return 0;
    }

    /// <summary>Every address in a pod of its own (WEFT_POD_IP set: transparent mode), else loopback.</summary>
    internal static IPAddress ListenAddress() =>
        Environment.GetEnvironmentVariable("WEFT_POD_IP") is { Length: > 0 } ? IPAddress.Any : IPAddress.Loopback;

    /// <summary>
    /// Spreads a share of requests evenly instead of by chance — with 0.5, exactly every second
    /// request — so what the mesh does about them is repeatable.
    /// </summary>
    private static class Share
    {
        public static bool Hit(long n, double rate) => rate > 0 && Math.Floor((n + 1) * rate) > Math.Floor(n * rate);
    }

    /// <summary>Every other port `weft up` assigned (WEFT_PORT_*) that is not gRPC or TCP serves HTTP too.</summary>
    private static IEnumerable<int> ExtraHttpPorts(string mainPort, string? grpcPort, string[] tcpWorkloadPorts)
    {
        var tcpPorts = tcpWorkloadPorts.Select(p => Environment.GetEnvironmentVariable($"WEFT_PORT_{p}") ?? p).ToHashSet();
        foreach (System.Collections.DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            if (((string)variable.Key).StartsWith("WEFT_PORT_", StringComparison.Ordinal) && variable.Value is string value
                && value != mainPort && value != grpcPort && !tcpPorts.Contains(value))
            {
                yield return int.Parse(value, CultureInfo.InvariantCulture);
            }
        }
    }

    /// <summary>
    /// What the app passes from the request it serves to the calls it makes: the trace context (so
    /// the calls join the trace), x-request-id, and x-canary (the example's dogfood routing).
    /// </summary>
    private static readonly string[] PropagatedHeaders = ["traceparent", "tracestate", "b3", "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags", "x-request-id", "x-canary"];

    private static double? Header(HttpContext context, string name) =>
        context.Request.Headers[name] is { Count: 1 } value && double.TryParse(value[0], CultureInfo.InvariantCulture, out var rate) ? rate : null;

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private sealed record Behavior
    {
        public double FailRate { get; init; }
        public int FailStatus { get; init; } = 503;
        public double HangRate { get; init; }
        public int DelayMs { get; init; }
    }
}
