using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.ControlPlane.Sources;
using Weft.Kubernetes.Informers;
using Weft.Kubernetes.Mapping;

namespace Weft.Kubernetes.Sources;

/// <summary>
/// The cluster as config source: Namespaces, Services and Istio's and the Gateway API's objects,
/// each read by the manifest loader as it changes. An object that fails validation is refused on
/// its own — its last good version stays in force, a Warning Event says why on the object, and
/// <see cref="Refused"/> lists it for `weft check` — while the rest of the config moves on.
/// </summary>
public sealed partial class KubernetesConfigSource : IConfigSource
{
    public const string RefusedReason = "WeftConfigRefused";

    private readonly EventRecorder _events;
    private readonly TimeProvider _time;
    private readonly TimeSpan _debounce;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private ITimer? _pending;
    private bool _watching;

    public KubernetesConfigSource(string server, IReadOnlyList<ResourceInformer> informers, EventRecorder events, TimeProvider time, ILogger<KubernetesConfigSource> logger, TimeSpan? debounce = null)
    {
        Description = server;
        _events = events;
        _time = time;
        _logger = logger;
        _debounce = debounce ?? TimeSpan.FromMilliseconds(50);
        foreach (var informer in informers)
        {
            informer.Changed += change => OnChange(informer, change);
        }
    }

    public string Description { get; }

    public event Action? Changed;

    public IReadOnlyList<ConfigDiagnostic> Refused =>
        [.. _entries.Values.OrderBy(e => e.Reference, StringComparer.Ordinal).SelectMany(e => e.Errors)];

    public LoadResult Load()
    {
        var result = new LoadResult();
        foreach (var entry in _entries.Values.OrderBy(e => e.Reference, StringComparer.Ordinal))
        {
            if (entry.LastGood is { } resource)
            {
                result.Resources.Add(resource);
                result.Diagnostics.AddRange(entry.Warnings);
            }
        }

        return result;
    }

    public void StartWatching()
    {
        lock (_gate)
        {
            _watching = true;
        }
    }

    private void OnChange(ResourceInformer informer, InformerEvent change)
    {
        switch (change.Type)
        {
            case InformerEventType.Upserted:
                Read(change.Object!);
                break;
            case InformerEventType.Deleted:
                _entries.TryRemove(ApiObjects.Reference(change.Object!), out _);
                break;
            case InformerEventType.Relisted:
                var present = new HashSet<string>(StringComparer.Ordinal);
                foreach (var item in informer.Items)
                {
                    present.Add(Read(item));
                }

                var prefix = informer.Resource.Kind + " " + (informer.Namespace is { } ns ? ns + "/" : "");
                foreach (var key in _entries.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && !present.Contains(k)))
                {
                    _entries.TryRemove(key, out _);
                }

                break;
        }

        ScheduleChanged();
    }

    /// <summary>Loads one object into its entry; returns its reference.</summary>
    private string Read(JsonObject item)
    {
        var reference = ApiObjects.Reference(item);
        var loaded = ApiObjects.Load(item);
        var entry = _entries.GetOrAdd(reference, r => new Entry(r));
        var errors = loaded.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        lock (entry)
        {
            if (errors.Count == 0 && loaded.Resources.Count == 1)
            {
                entry.LastGood = loaded.Resources[0];
                entry.Warnings = [.. loaded.Diagnostics];
                entry.Errors = [];
                return reference;
            }

            if (errors.Count == 0)
            {
                // A kind the loader skips (reported as info): nothing to apply.
                entry.LastGood = null;
                entry.Errors = [];
                return reference;
            }

            entry.Errors = errors;
            var version = ApiObjects.ResourceVersion(item);
            if (entry.ReportedVersion == version)
            {
                return reference;
            }

            entry.ReportedVersion = version;
        }

        var message = (entry.LastGood is null ? "refused by Weft (no earlier version is in force): " : "refused by Weft, its last good version stays in force: ")
            + string.Join("; ", errors.Select(e => string.IsNullOrEmpty(e.Field) ? e.Message : $"{e.Field}: {e.Message}"));
        Log.Refused(_logger, reference, message);
        _ = _events.WarnAsync(item, RefusedReason, message, _stopping.Token);
        return reference;
    }

    private void ScheduleChanged()
    {
        lock (_gate)
        {
            if (!_watching)
            {
                return;
            }

            // An informer's re-list or a burst of applies compiles the mesh once.
            _pending?.Dispose();
            _pending = _time.CreateTimer(_ => Changed?.Invoke(), null, _debounce, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        lock (_gate)
        {
            _watching = false;
            _pending?.Dispose();
        }

        _stopping.Dispose();
    }

    private sealed class Entry(string reference)
    {
        public string Reference { get; } = reference;
        public Resource? LastGood { get; set; }
        public IReadOnlyList<ConfigDiagnostic> Warnings { get; set; } = [];
        public IReadOnlyList<ConfigDiagnostic> Errors { get; set; } = [];
        public string? ReportedVersion { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(110, LogLevel.Warning, "{Object} {Message}")]
        public static partial void Refused(ILogger logger, string @object, string message);
    }
}
