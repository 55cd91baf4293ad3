using System.Globalization;
using Microsoft.Extensions.Logging;
using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Mesh.Compilation;
using Weft.Mesh.Model;
using Weft.Protocol.V1;

namespace Weft.ControlPlane.State;

/// <summary>The configs in force: what every proxy should run, and the version each last changed at.</summary>
public sealed record PublishedMesh(
    long Version,
    IReadOnlyList<Resource> Resources,
    IReadOnlyDictionary<string, ProxyConfig> Proxies,
    IReadOnlyList<ConfigDiagnostic> Warnings,
    DateTimeOffset PublishedAt)
{
    /// <summary>What it was compiled from, with the service addresses in force.</summary>
    public MeshSnapshot? Snapshot { get; init; }
}

/// <summary>A config that was refused, and why; the previous one stayed in force.</summary>
/// <summary>What every proxy must trust, and the certificate generation it must hold (see RootRotation).</summary>
public sealed record MeshTrust(IReadOnlyList<string> BundlePem, ulong CertificateGeneration)
{
    public static MeshTrust None { get; } = new([], 0);
}

public sealed record RejectedConfig(IReadOnlyList<ConfigDiagnostic> Errors, DateTimeOffset RejectedAt);

/// <summary>
/// Holds the last good mesh config. A new set of resources is compiled and published only if it
/// loads and compiles without errors; otherwise it is rejected with its diagnostics and the last
/// good config stays in force — a bad edit never reaches a proxy.
/// </summary>
public sealed partial class MeshState(MeshOptions options, TimeProvider time, ILogger<MeshState> logger)
{
    private readonly Lock _gate = new();
    private long _version;
    private volatile PublishedMesh? _current;
    private volatile MeshTrust _trust = MeshTrust.None;
    private IReadOnlyList<WorkloadInstance> _instances = [];
    private volatile RejectedConfig? _lastRejection;

    public PublishedMesh? Current => _current;
    public RejectedConfig? LastRejection => _lastRejection;
    public MeshOptions Options => options;

    /// <summary>Set: every Service without a spec.clusterIP gets a virtual IP from this pool (transparent mode).</summary>
    public ServiceAddressPool? AddressPool { get; set; }

    public event Action<PublishedMesh>? Published;

    /// <summary>Applies freshly loaded resources; returns false (and keeps the last good config) on errors.</summary>
    public bool Apply(LoadResult loaded, IReadOnlyList<WorkloadInstance> instances)
    {
        if (loaded.HasErrors)
        {
            Reject(loaded.Diagnostics);
            return false;
        }

        return Compile(loaded.Resources, instances, loaded.Diagnostics);
    }

    /// <summary>Recompiles the resources in force against a changed registry.</summary>
    public bool Refresh(IReadOnlyList<WorkloadInstance> instances)
    {
        var current = _current;
        return current is not null && Compile(current.Resources, instances, []);
    }

    /// <summary>The trust bundle and certificate generation every proxy config carries.</summary>
    public MeshTrust Trust => _trust;

    /// <summary>Pushes a new trust bundle (and certificate generation) to every proxy.</summary>
    public bool SetTrust(MeshTrust trust)
    {
        _trust = trust;
        var current = _current;
        return current is not null && Compile(current.Resources, _instances, []);
    }

    private bool Compile(IReadOnlyList<Resource> resources, IReadOnlyList<WorkloadInstance> instances, IReadOnlyList<ConfigDiagnostic> loadWarnings)
    {
        PublishedMesh published;
        lock (_gate)
        {
            var snapshot = new MeshSnapshot(resources, instances, options)
            {
                ServiceAddresses = AddressPool?.Assign(resources.OfType<Service>(), options) ?? new Dictionary<string, string>(),
            };
            var compiled = MeshCompiler.Compile(snapshot);
            if (compiled.HasErrors)
            {
                Reject([.. loadWarnings, .. compiled.Diagnostics]);
                return false;
            }

            _instances = instances;
            var trust = _trust;
            foreach (var config in compiled.Proxies.Values)
            {
                config.TrustBundlePem.AddRange(trust.BundlePem);
                config.CertificateGeneration = trust.CertificateGeneration;
            }

            var version = ++_version;
            var previous = _current;
            var proxies = new Dictionary<string, ProxyConfig>(StringComparer.Ordinal);
            var changed = 0;
            foreach (var (key, config) in compiled.Proxies)
            {
                // A proxy whose config did not change keeps its version, so it is not pushed again.
                if (previous?.Proxies.GetValueOrDefault(key) is { } old && SameConfig(old, config))
                {
                    proxies[key] = old;
                    continue;
                }

                config.Version = version.ToString(CultureInfo.InvariantCulture);
                proxies[key] = config;
                changed++;
            }

            var warnings = loadWarnings.Concat(compiled.Diagnostics).ToList();
            published = new PublishedMesh(version, resources, proxies, warnings, time.GetUtcNow()) { Snapshot = snapshot };
            _current = published;
            _lastRejection = null;
            Log.Published(logger, version, resources.Count, changed, proxies.Count);
            foreach (var warning in warnings)
            {
                Log.Diagnostic(logger, warning.ToString());
            }
        }

        Published?.Invoke(published);
        return true;
    }

    private static bool SameConfig(ProxyConfig old, ProxyConfig candidate)
    {
        var oldVersion = old.Version;
        candidate.Version = oldVersion;
        var same = old.Equals(candidate);
        candidate.Version = "";
        return same;
    }

    private void Reject(IReadOnlyList<ConfigDiagnostic> diagnostics)
    {
        var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        _lastRejection = new RejectedConfig(errors, time.GetUtcNow());
        Log.Rejected(logger, errors.Count, _current is null ? "none yet" : _current.Version.ToString(CultureInfo.InvariantCulture));
        foreach (var error in errors)
        {
            Log.Diagnostic(logger, error.ToString());
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Config version {Version} published: {Resources} resources, {Changed} of {Proxies} proxy configs changed")]
        public static partial void Published(ILogger logger, long version, int resources, int changed, int proxies);

        [LoggerMessage(2, LogLevel.Error, "Config rejected with {Errors} error(s); the config in force stays (version {Version})")]
        public static partial void Rejected(ILogger logger, int errors, string version);

        [LoggerMessage(3, LogLevel.Warning, "{Diagnostic}")]
        public static partial void Diagnostic(ILogger logger, string diagnostic);
    }
}
