using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Weft.Config.Loading;
using Weft.ControlPlane.Api;
using Weft.ControlPlane.Certificates;
using Weft.ControlPlane.Discovery;
using Weft.ControlPlane.Registry;
using Weft.ControlPlane.Sources;
using Weft.ControlPlane.State;
using Weft.Protocol.Identity;

namespace Weft.ControlPlane.Hosting;

/// <summary>
/// The control plane as one in-process server: the config source and its watcher, the registry,
/// the CA, the discovery and signing gRPC services (TLS) and the HTTP API the CLI reads.
/// </summary>
public sealed class ControlPlaneHost : IAsyncDisposable
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly WebApplication _app;
    private readonly IConfigSource _source;

    private readonly IPAddress _discoveryAddress;

    private ControlPlaneHost(WebApplication app, IConfigSource source, IPAddress discoveryAddress)
    {
        _app = app;
        _source = source;
        _discoveryAddress = discoveryAddress;
    }

    public MeshState State => _app.Services.GetRequiredService<MeshState>();
    public IWorkloadRegistry Registry => _app.Services.GetRequiredService<IWorkloadRegistry>();

    /// <summary>The local runtime's registry, where `weft up` registers the instances it starts.</summary>
    public LocalRegistry LocalRegistry => Registry as LocalRegistry ?? throw new InvalidOperationException("this control plane does not run local workloads");
    public ProxyTracker Tracker => _app.Services.GetRequiredService<ProxyTracker>();
    public CertificateAuthority Authority => _app.Services.GetRequiredService<CertificateAuthority>();
    public StatusReporter Status => _app.Services.GetRequiredService<StatusReporter>();
    public int DiscoveryPort { get; private set; }
    public int ApiPort { get; private set; }
    public string DiscoveryAddress => $"https://{_discoveryAddress}:{DiscoveryPort}";
    public string ApiAddress => $"http://127.0.0.1:{ApiPort}";

    /// <summary>
    /// The local control plane: loads the config directory and, if it is valid, starts serving.
    /// Returns the load errors instead of a host when the initial config is invalid: there is no
    /// last good config to keep.
    /// </summary>
    public static Task<(ControlPlaneHost? Host, LoadResult Initial)> StartAsync(ControlPlaneOptions options, ILoggerFactory loggerFactory, CancellationToken cancellation)
    {
        var time = TimeProvider.System;
        Directory.CreateDirectory(options.StateDirectory);
        var authority = CertificateAuthority.LoadOrCreate(Path.Combine(options.StateDirectory, "ca"), options.Mesh.TrustDomain, time);
        var registry = new LocalRegistry();
        return StartAsync(options, new ControlPlaneRuntime(new DirectoryConfigSource(options.ConfigDirectory, time), registry, registry, authority), loggerFactory, cancellation);
    }

    /// <summary>Starts serving the config of <paramref name="runtime"/>'s source; takes ownership of the source.</summary>
    public static async Task<(ControlPlaneHost? Host, LoadResult Initial)> StartAsync(ControlPlaneOptions options, ControlPlaneRuntime runtime, ILoggerFactory loggerFactory, CancellationToken cancellation)
    {
        var time = TimeProvider.System;
        var source = runtime.Source;
        var initial = source.Load();
        if (initial.HasErrors)
        {
            source.Dispose();
            return (null, initial);
        }

        var authority = runtime.Authority;
        var servingCertificate = authority.IssueServingCertificate(
            new SpiffeId(options.Mesh.TrustDomain, "weft-system", "weft-control-plane"), ["localhost", .. options.ServingDnsNames],
            [.. new[] { IPAddress.Loopback, options.DiscoveryListenAddress }.Distinct()]);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton(options.Mesh);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(authority);
        builder.Services.AddSingleton<MeshState>();
        builder.Services.AddSingleton(runtime.Registry);
        builder.Services.AddSingleton(runtime.Authenticator);
        builder.Services.AddSingleton(source);
        builder.Services.AddSingleton<ProxyTracker>();
        builder.Services.AddSingleton<StatusReporter>();
        builder.Services.AddSingleton<RootRotation>();
        builder.Services.AddSingleton(sp => new ControlPlaneEndpoints(source.Description, $"http://127.0.0.1:{sp.GetRequiredService<PortHolder>().Api}", $"https://{options.DiscoveryListenAddress}:{sp.GetRequiredService<PortHolder>().Discovery}"));
        builder.Services.AddSingleton<PortHolder>();
        builder.Services.AddGrpc();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(options.DiscoveryListenAddress, options.DiscoveryPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.UseHttps(servingCertificate);
            });
            kestrel.Listen(IPAddress.Loopback, options.ApiPort, listen => listen.Protocols = HttpProtocols.Http1AndHttp2);
        });

        var app = builder.Build();
        app.MapGrpcService<ConfigDiscoveryService>();
        app.MapGrpcService<CertificateSigningService>();
        app.MapGet("/api/v1/status", (StatusReporter status) => Results.Json(status.Report(), JsonOptions));
        app.MapGet("/api/v1/proxies/{ns}/{name}/config", (string ns, string name, MeshState state) =>
            state.Current?.Proxies.GetValueOrDefault($"{ns}/{name}") is { } config
                ? Results.Text(Google.Protobuf.JsonFormatter.Default.Format(config), "application/json")
                : Results.NotFound(new { error = $"no proxy {ns}/{name}" }));
        app.MapGet("/api/v1/proxies", (MeshState state) =>
        {
            // Every proxy's compiled config, keyed namespace/name: what `weft explain` evaluates.
            var configs = new System.Text.Json.Nodes.JsonObject();
            foreach (var (key, config) in state.Current?.Proxies ?? new Dictionary<string, Protocol.V1.ProxyConfig>())
            {
                configs[key] = System.Text.Json.Nodes.JsonNode.Parse(Google.Protobuf.JsonFormatter.Default.Format(config));
            }

            return Results.Text(configs.ToJsonString(), "application/json");
        });
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapPost("/api/v1/ca/rotate", async (RootRotation rotation, HttpContext context) =>
        {
            var timeout = TimeSpan.FromSeconds(double.TryParse(context.Request.Query["stepTimeoutSeconds"], System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 60);
            try
            {
                return Results.Json(await rotation.RunAsync(timeout, context.RequestAborted), JsonOptions);
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
                return Results.Json(new { error = e.Message }, JsonOptions, statusCode: StatusCodes.Status409Conflict);
            }
        });

        app.MapPost("/api/v1/workloads/{ns}/{name}/restart", async (string ns, string name, IWorkloadRegistry registry, HttpContext context) =>
        {
            // Only the local runtime restarts workloads itself; on Kubernetes that is the cluster's job.
            if ((registry as LocalRegistry)?.Restarter is not { } restarter)
            {
                return Results.Json(new { error = "this control plane runs no workloads it can restart" }, JsonOptions, statusCode: StatusCodes.Status409Conflict);
            }

            try
            {
                return Results.Json(await restarter.RestartAsync(ns, name, context.RequestAborted), JsonOptions);
            }
            catch (ArgumentException e)
            {
                return Results.Json(new { error = e.Message }, JsonOptions, statusCode: StatusCodes.Status404NotFound);
            }
            catch (TimeoutException e)
            {
                return Results.Json(new { error = e.Message }, JsonOptions, statusCode: StatusCodes.Status409Conflict);
            }
        });

        await app.StartAsync(cancellation);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToList();
        var host = new ControlPlaneHost(app, source, options.DiscoveryListenAddress);
        host.DiscoveryPort = new Uri(addresses.First(a => a.StartsWith("https", StringComparison.Ordinal))).Port;
        host.ApiPort = new Uri(addresses.First(a => a.StartsWith("http:", StringComparison.Ordinal))).Port;
        var ports = app.Services.GetRequiredService<PortHolder>();
        ports.Api = host.ApiPort;
        ports.Discovery = host.DiscoveryPort;

        var state = host.State;
        if (options.ServiceAddressRange is { } range)
        {
            state.AddressPool = new Mesh.Model.ServiceAddressPool(range);
        }

        var registry = host.Registry;
        state.Apply(initial, registry.Instances);
        registry.Changed += () => state.Refresh(registry.Instances);
        var logger = loggerFactory.CreateLogger<ControlPlaneHost>();
        source.Changed += () =>
        {
            try
            {
                state.Apply(source.Load(), registry.Instances);
            }
            catch (Exception e)
            {
                // A defect in loading must not take the control plane down: the config in force stays.
                logger.LogError(e, "Reloading {Source} failed; the config in force stays", source.Description);
            }
        };
        source.StartWatching();
        return (host, initial);
    }

    public async ValueTask DisposeAsync()
    {
        _source.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    private sealed class PortHolder
    {
        public int Api { get; set; }
        public int Discovery { get; set; }
    }
}

/// <summary>What a runtime brings to the control plane: its config source, its instances, how proxies prove who they are, and the CA.</summary>
public sealed record ControlPlaneRuntime(IConfigSource Source, IWorkloadRegistry Registry, IProxyAuthenticator Authenticator, CertificateAuthority Authority);
