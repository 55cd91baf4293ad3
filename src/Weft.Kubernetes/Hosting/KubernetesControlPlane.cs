using Microsoft.Extensions.Logging;
using Weft.ControlPlane.Certificates;
using Weft.ControlPlane.Hosting;
using Weft.Kubernetes.Api;
using Weft.Kubernetes.Identity;
using Weft.Kubernetes.Informers;
using Weft.Kubernetes.Registry;
using Weft.Kubernetes.Sources;

namespace Weft.Kubernetes.Hosting;

public sealed class KubernetesControlPlaneOptions
{
    /// <summary>The control plane's own settings (ports, listen address, state directory for the CA, mesh options).</summary>
    public required ControlPlaneOptions ControlPlane { get; init; }

    /// <summary>The audience sidecars' projected tokens must carry.</summary>
    public string TokenAudience { get; init; } = TokenReviewAuthenticator.DefaultAudience;

    /// <summary>How long to wait for every informer's first list before serving.</summary>
    public TimeSpan SyncTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public InformerOptions Informers { get; init; } = new();

    /// <summary>Set: the CA's roots live in this Secret (namespace, name), so a restarted control plane keeps them; null: only in the state directory.</summary>
    public (string Namespace, string Name)? RootSecret { get; init; }

    /// <summary>Set: only these namespaces' pods and objects make up the mesh (Istio's discoverySelectors); null: every namespace.</summary>
    public IReadOnlyList<string>? Namespaces { get; init; }
}

/// <summary>
/// The control plane of a cluster: informers over the API server as config source and registry,
/// TokenReview as the proxies' authenticator, and the same discovery server, CA and status API as
/// the local runtime's.
/// </summary>
public sealed class KubernetesControlPlane : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping;
    private readonly Task _informing;

    private KubernetesControlPlane(ControlPlaneHost host, KubernetesRegistry registry, KubernetesConfigSource source, IReadOnlyList<ResourceInformer> informers, CancellationTokenSource stopping, Task informing)
    {
        Host = host;
        Registry = registry;
        Source = source;
        Informers = informers;
        _stopping = stopping;
        _informing = informing;
    }

    public ControlPlaneHost Host { get; }
    public KubernetesRegistry Registry { get; }
    public KubernetesConfigSource Source { get; }
    public IReadOnlyList<ResourceInformer> Informers { get; }

    public static async Task<KubernetesControlPlane> StartAsync(KubernetesConnection api, KubernetesControlPlaneOptions options, ILoggerFactory loggerFactory, CancellationToken cancellation)
    {
        var time = TimeProvider.System;
        var informerLogger = loggerFactory.CreateLogger<ResourceInformer>();
        IReadOnlyList<string?> scopes = options.Namespaces is { } namespaces ? [.. namespaces] : [null];
        var configInformers = ApiResource.ConfigKinds
            .SelectMany(kind => kind.Namespaced ? scopes.Select(ns => new ResourceInformer(api, kind, time, informerLogger, options.Informers, ns)) : [new ResourceInformer(api, kind, time, informerLogger, options.Informers)])
            .ToList();
        var pods = scopes.Select(ns => new ResourceInformer(api, ApiResource.Pods, time, informerLogger, options.Informers, ns)).ToList();
        var registry = new KubernetesRegistry(pods);
        var source = new KubernetesConfigSource(api.Server.ToString(), configInformers, new EventRecorder(api, time, loggerFactory.CreateLogger<EventRecorder>()), time, loggerFactory.CreateLogger<KubernetesConfigSource>());
        var authenticator = new TokenReviewAuthenticator(api, registry, loggerFactory.CreateLogger<TokenReviewAuthenticator>(), options.TokenAudience);

        var stopping = new CancellationTokenSource();
        IReadOnlyList<ResourceInformer> informers = [.. configInformers, .. pods];
        var informing = Task.WhenAll(informers.Select(i => Task.Run(() => i.RunAsync(stopping.Token), CancellationToken.None)));
        try
        {
            using var synced = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            synced.CancelAfter(options.SyncTimeout);
            try
            {
                await Task.WhenAll(informers.Select(i => i.Synced)).WaitAsync(synced.Token);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                var waiting = string.Join(", ", informers.Where(i => !i.Synced.IsCompleted).Select(i => i.Resource.ToString()));
                throw new TimeoutException($"the API server at {api.Server} did not list {waiting} within {options.SyncTimeout.TotalSeconds:0} s");
            }

            var controlPlane = options.ControlPlane;
            Directory.CreateDirectory(controlPlane.StateDirectory);
            var caDirectory = Path.Combine(controlPlane.StateDirectory, "ca");
            var authority = options.RootSecret is var (secretNamespace, secretName)
                ? await new RootSecret(api, secretNamespace, secretName, loggerFactory.CreateLogger<RootSecret>()).LoadAuthorityAsync(caDirectory, controlPlane.Mesh.TrustDomain, time, cancellation)
                : CertificateAuthority.LoadOrCreate(caDirectory, controlPlane.Mesh.TrustDomain, time);
            var (host, initial) = await ControlPlaneHost.StartAsync(controlPlane, new ControlPlaneRuntime(source, registry, authenticator, authority), loggerFactory, cancellation);
            if (host is null)
            {
                // The source hands out only objects that loaded; nothing here can fail to load.
                throw new InvalidOperationException("the cluster's config did not load: " + string.Join("; ", initial.Diagnostics));
            }

            return new KubernetesControlPlane(host, registry, source, informers, stopping, informing);
        }
        catch
        {
            await stopping.CancelAsync();
            await informing;
            source.Dispose();
            stopping.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _informing;
        await Host.DisposeAsync();
        _stopping.Dispose();
    }
}
