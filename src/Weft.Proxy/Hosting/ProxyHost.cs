using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Weft.Protocol.Identity;
using Weft.Protocol.V1;
using Weft.Proxy.Admin;
using Weft.Proxy.Configuration;
using Weft.Proxy.Forwarding;
using Weft.Proxy.Inbound;
using Weft.Proxy.LoadBalancing;
using Weft.Proxy.Outbound;
using Weft.Proxy.Protocols;
using Weft.Proxy.Telemetry;
using Weft.Proxy.Tls;

namespace Weft.Proxy.Hosting;

/// <summary>
/// The sidecar process: Kestrel listeners for outbound (the app's explicit proxy), inbound (one
/// per workload port, mTLS-aware) and admin traffic, fed by the control plane's config stream and
/// certificate authority — or, in static mode, by a config and a certificate read from files.
/// </summary>
public static class ProxyHost
{
    public static async Task<int> RunAsync(ProxyOptions options, CancellationToken cancellation)
    {
        var builder = WebApplication.CreateSlimBuilder();
        if (InlineIo.Enabled)
        {
            // Event-loop I/O (see InlineIo): requests run on the epoll thread that read them.
            builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
        }

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        // Nothing here logs per request; with this logger off ASP.NET Core no longer creates an Activity
        // for every request (and HttpClient no longer invents a traceparent from it): traces are the
        // proxy's own spans, made only when tracing is on.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // Kestrel warns that cleartext endpoints allowing HTTP/2 will use HTTP/1.1; the proxy detects h2c itself.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Error);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        // Categories without a rule above (the proxy's own) follow the level the admin port sets.
        var logLevel = new LogLevelSwitch();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddFilter((_, level) => logLevel.IsEnabled(level));
        builder.Services.AddSingleton(logLevel);

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new Authentication.JsonWebKeySetCache(new HttpClient { Timeout = TimeSpan.FromSeconds(5) },
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<Authentication.JsonWebKeySetCache>>()));
        services.AddSingleton(sp => new ProxyConfigStore(options.InboundPorts.ToDictionary(p => p.Key, p => p.Value), sp.GetRequiredService<Authentication.JsonWebKeySetCache>()));
        services.AddSingleton<CredentialStore>();
        services.AddSingleton<UpstreamClients>();
        services.AddSingleton<RequestMetrics>();
        services.AddSingleton<RequestTap>();
        services.AddSingleton<MetricsHistory>();
        services.AddSingleton(sp => new RequestRecorder(sp.GetRequiredService<RequestMetrics>(), AccessLog.Open(options.AccessLog), sp.GetRequiredService<RequestTap>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ProxyCounters>();
        services.AddSingleton<TcpMetrics>();
        var traceExport = options.OtlpEndpoint is { } otlp
            ? Telemetry.Tracing.TraceExport.Start(otlp, options.TraceSamplingPercent, $"{options.Workload}.{options.Namespace}", options.Namespace,
                $"{options.Workload}.{options.Namespace}", typeof(ProxyHost).Assembly.GetName().Version?.ToString())
            : Telemetry.Tracing.TraceExport.Disabled;
        services.AddSingleton(traceExport);
        services.AddSingleton<IRandomSource>(SharedRandomSource.Instance);
        services.AddSingleton<OutboundHandler>();
        services.AddSingleton<RouteActionRunner>();
        services.AddSingleton<RequestMirroring>();
        services.AddSingleton<InboundHandler>();
        services.AddSingleton<Http1.UpstreamPool>();
        services.AddSingleton<Http1.Http1Forwarder>();
        services.AddSingleton<OutboundHttp1>();
        services.AddSingleton<InboundHttp1>();
        services.AddSingleton<InboundTcpHandler>();
        services.AddSingleton<AdminEndpoints>();
        services.AddHttpForwarder();

        // Static mode: config and certificate from files, no control plane (see StaticBootstrap).
        var fixedBootstrap = options.Static is { } files ? StaticBootstrapLoader.Load(files) : default;
        var channel = options.Static is null ? CreateControlPlaneChannel(options) : null;
        if (channel is not null)
        {
            var spiffeId = new SpiffeId(options.TrustDomain, options.Namespace, options.ServiceAccount);
            var node = new Node
            {
                Workload = options.Workload,
                Namespace = options.Namespace,
                BootstrapToken = (await File.ReadAllTextAsync(options.TokenFile, cancellation)).Trim(),
                ProxyVersion = typeof(ProxyHost).Assembly.GetName().Version?.ToString() ?? "dev",
                AdminAddress = $"{options.PodAddress ?? IPAddress.Loopback}:{options.AdminPort}",
            };
            services.AddSingleton(sp => new DiscoveryClient(new ConfigDiscovery.ConfigDiscoveryClient(channel), node, sp.GetRequiredService<ProxyConfigStore>(),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<DiscoveryClient>>()));
            services.AddSingleton(sp => new CertificateManager(new CertificateAuthority.CertificateAuthorityClient(channel), node, spiffeId,
                sp.GetRequiredService<CredentialStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<CertificateManager>>()));
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Peers send :scheme http over the proxy's own TLS (and h2c is marked as TLS for Kestrel, see
            // NegotiatedProtocol); the scheme is not a security signal here, the mTLS identity is.
            kestrel.AllowAlternateSchemes = true;
            kestrel.Limits.MinRequestBodyDataRate = null;
            if (options.OutboundPort > 0)
            {
                kestrel.Listen(IPAddress.Loopback, options.OutboundPort, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    var services = listen.ApplicationServices;
                    var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Weft.Proxy.Outbound");
                    listen.Use(services.GetRequiredService<ProxyCounters>().CountConnections(inbound: false));
                    listen.Use(next => new OutboundConnectionMiddleware(next, services.GetRequiredService<ProxyConfigStore>(),
                        services.GetRequiredService<UpstreamClients>(), services.GetRequiredService<IRandomSource>(), logger, services.GetRequiredService<TcpMetrics>(),
                        captures: options.Transparent).OnConnectionAsync);
                    if (Http1.Http1Engine.Enabled)
                    {
                        listen.Use(next => new Http1.Http1Engine(next, services.GetRequiredService<OutboundHttp1>()).OnConnectionAsync);
                    }
                });
            }

            // Transparent mode: one capture port takes every inbound connection, and its original
            // destination says which workload port it is for; otherwise each workload port has its own listener.
            var inboundListeners = options.Transparent ? [options.InboundCapturePort] : options.InboundPorts.Values.ToArray();
            foreach (var listenPort in inboundListeners)
            {
                kestrel.Listen(options.Transparent ? IPAddress.Any : IPAddress.Loopback, listenPort, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    var credentials = listen.ApplicationServices.GetRequiredService<CredentialStore>();
                    var logger = listen.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Weft.Proxy.Inbound");
                    var tcp = listen.ApplicationServices.GetRequiredService<InboundTcpHandler>();
                    listen.Use(listen.ApplicationServices.GetRequiredService<ProxyCounters>().CountConnections(inbound: true));
                    if (options.Transparent)
                    {
                        var workloadPorts = options.InboundPorts.Keys.ToHashSet();
                        listen.Use(next => new Interception.InboundCaptureMiddleware(next, workloadPorts, logger).OnConnectionAsync);
                    }

                    listen.Use(next => new InboundTlsMiddleware(next, credentials, tcp, logger).OnConnectionAsync);
                    if (Http1.Http1Engine.Enabled)
                    {
                        listen.Use(next => new Http1.Http1Engine(next, listen.ApplicationServices.GetRequiredService<InboundHttp1>()).OnConnectionAsync);
                    }
                });
            }

            // In transparent mode the admin port is reached from the host over the bridge (iptables leaves it alone).
            kestrel.Listen(options.Transparent ? IPAddress.Any : IPAddress.Loopback, options.AdminPort, listen => listen.Protocols = HttpProtocols.Http1);
        });

        var app = builder.Build();
        var outbound = app.Services.GetRequiredService<OutboundHandler>();
        var inbound = app.Services.GetRequiredService<InboundHandler>();
        var admin = app.Services.GetRequiredService<AdminEndpoints>();
        var inboundPorts = options.InboundPorts.Values.ToHashSet();
        var outboundPort = options.OutboundPort;
        app.Run(context =>
        {
            var port = context.Connection.LocalPort;
            if (port == outboundPort)
            {
                return outbound.HandleAsync(context);
            }

            return inboundPorts.Contains(port) ? inbound.HandleAsync(context) : admin.HandleAsync(context);
        });

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var background = new List<Task>();
        if (fixedBootstrap.Config is not null)
        {
            app.Services.GetRequiredService<CredentialStore>().Update(fixedBootstrap.Credentials);
            try
            {
                app.Services.GetRequiredService<ProxyConfigStore>().Apply(fixedBootstrap.Config);
            }
            catch (ProxyConfigException e)
            {
                throw new ArgumentException($"--config {options.Static!.ConfigFile}: {e.Message}", e);
            }

            await app.StartAsync(stopping.Token);
        }
        else
        {
            var certificates = app.Services.GetRequiredService<CertificateManager>();
            var discovery = app.Services.GetRequiredService<DiscoveryClient>();
            var trust = new TrustBundleFollower(app.Services.GetRequiredService<CredentialStore>(), certificates);
            app.Services.GetRequiredService<ProxyConfigStore>().Applied += trust.OnApplied;
            await app.StartAsync(stopping.Token);
            background.Add(RunCertificatesAsync(certificates, stopping.Token));
            background.Add(discovery.RunAsync(stopping.Token));
        }

        background.Add(app.Services.GetRequiredService<MetricsHistory>().RunAsync(app.Services.GetRequiredService<AdminEndpoints>().RenderMetrics, stopping.Token));
        if (options.ParentProcessId is { } parent)
        {
            background.Add(ParentProcessWatch.WatchAsync(parent, stopping));
        }

        try
        {
            await app.WaitForShutdownAsync(stopping.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await stopping.CancelAsync();
        await app.StopAsync(CancellationToken.None);
        await Task.WhenAll(background.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        await app.Services.GetRequiredService<RequestRecorder>().DisposeAsync();
        await app.Services.GetRequiredService<Http1.UpstreamPool>().DisposeAsync();
        traceExport.Dispose();
        channel?.Dispose();
        return 0;
    }

    private static async Task RunCertificatesAsync(CertificateManager certificates, CancellationToken cancellation)
    {
        await certificates.InitializeAsync(cancellation);
        await certificates.RunRenewalAsync(cancellation);
    }

    private static GrpcChannel CreateControlPlaneChannel(ProxyOptions options)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(options.ControlPlaneRootFile);
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.AddRange(roots);
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = TimeSpan.FromSeconds(20),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = policy,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => certificate is not null && errors == SslPolicyErrors.None,
            },
        };
        return GrpcChannel.ForAddress(options.ControlPlaneAddress, new GrpcChannelOptions { HttpHandler = handler });
    }
}
