using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Weft.Kubernetes.Api;

namespace Weft.Kubernetes.Informers;

public enum InformerEventType
{
    /// <summary>An object was added or changed.</summary>
    Upserted,
    Deleted,
    /// <summary>The whole collection was listed again (start, 410 Gone, a failed watch): consumers re-read <see cref="ResourceInformer.Items"/>.</summary>
    Relisted,
}

/// <summary>What changed: the object (null for <see cref="InformerEventType.Relisted"/>).</summary>
public sealed record InformerEvent(InformerEventType Type, JsonObject? Object);

public sealed class InformerOptions
{
    /// <summary>Page size of a list.</summary>
    public int PageSize { get; init; } = 500;

    /// <summary>How long the server keeps one watch open before it ends it and the informer resumes.</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaximumBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a kind the server does not serve (a CRD not installed) is looked for again.</summary>
    public TimeSpan NotServedRetry { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Keeps an up-to-date copy of one kind across all namespaces, as client-go's informers do: lists
/// it, then watches from the list's resourceVersion; a watch that ends is resumed from the last
/// version seen; 410 Gone (the version is too old) lists again; other errors are retried with
/// exponential backoff and jitter. A kind the server does not serve yet (its CRD is missing) is an
/// empty collection, looked for again periodically.
/// </summary>
public sealed partial class ResourceInformer(KubernetesConnection api, ApiResource resource, TimeProvider time, ILogger logger, InformerOptions? options = null, string? @namespace = null)
{
    private readonly string _path = resource.CollectionPath(@namespace);
    private readonly InformerOptions _options = options ?? new InformerOptions();
    private readonly ConcurrentDictionary<string, JsonObject> _objects = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ApiResource Resource => resource;

    /// <summary>The namespace watched; null for all of them.</summary>
    public string? Namespace => @namespace;

    /// <summary>The objects as last seen, keyed namespace/name (name for cluster-scoped kinds).</summary>
    public ICollection<JsonObject> Items => _objects.Values;

    /// <summary>False while the server does not serve the kind (its CRD is not installed).</summary>
    public bool Served { get; private set; } = true;

    /// <summary>The resourceVersion the copy is at.</summary>
    public string? ResourceVersion { get; private set; }

    /// <summary>How many times the collection was listed (the first list included).</summary>
    public int Lists { get; private set; }

    /// <summary>Completes after the first list (or the finding that the kind is not served).</summary>
    public Task Synced => _synced.Task;

    /// <summary>Raised on the informer's loop for every change; handlers must not block.</summary>
    public event Action<InformerEvent>? Changed;

    public static string KeyOf(JsonObject item)
    {
        var metadata = item["metadata"] as JsonObject;
        var name = metadata?["name"]?.GetValue<string>() ?? "";
        var ns = metadata?["namespace"]?.GetValue<string>();
        return string.IsNullOrEmpty(ns) ? name : $"{ns}/{name}";
    }

    public JsonObject? Find(string key) => _objects.GetValueOrDefault(key);

    public async Task RunAsync(CancellationToken cancellation)
    {
        var backoff = _options.InitialBackoff;
        while (!cancellation.IsCancellationRequested)
        {
            try
            {
                if (!await ListAsync(cancellation))
                {
                    await Task.Delay(_options.NotServedRetry, time, cancellation);
                    continue;
                }

                backoff = _options.InitialBackoff;
                while (true)
                {
                    await WatchAsync(cancellation);
                }
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return;
            }
            catch (KubernetesApiException e) when (e.Expired)
            {
                Log.Expired(logger, _path, ResourceVersion ?? "");
            }
            catch (Exception e) when (e is KubernetesApiException or HttpRequestException or IOException or JsonException or InvalidOperationException)
            {
                var delay = Jitter(backoff);
                Log.Failed(logger, _path, delay.TotalSeconds, e.Message);
                try
                {
                    await Task.Delay(delay, time, cancellation);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaximumBackoff.Ticks));
            }
        }
    }

    private static TimeSpan Jitter(TimeSpan backoff) => backoff * (0.8 + (Random.Shared.NextDouble() * 0.4));

    /// <summary>Lists every page into a fresh copy; false when the kind is not served.</summary>
    private async Task<bool> ListAsync(CancellationToken cancellation)
    {
        var fresh = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        string? continueToken = null;
        string? version = null;
        do
        {
            var query = $"?limit={_options.PageSize.ToString(CultureInfo.InvariantCulture)}" + (continueToken is null ? "" : "&continue=" + Uri.EscapeDataString(continueToken));
            JsonObject page;
            try
            {
                page = await api.GetAsync(_path + query, cancellation);
            }
            catch (KubernetesApiException e) when (e.Status == HttpStatusCode.NotFound)
            {
                if (Served || Lists == 0)
                {
                    Log.NotServed(logger, _path);
                }

                Served = false;
                ResourceVersion = null;
                ReplaceAll(fresh);
                return false;
            }

            foreach (var item in page["items"] as JsonArray ?? [])
            {
                if (item is JsonObject obj)
                {
                    // List items carry no apiVersion and kind; watch events do. Make them alike.
                    obj["apiVersion"] = resource.ApiVersion;
                    obj["kind"] = resource.Kind;
                    fresh[KeyOf(obj)] = obj;
                }
            }

            var metadata = page["metadata"] as JsonObject;
            version = metadata?["resourceVersion"]?.GetValue<string>() ?? version;
            continueToken = metadata?["continue"]?.GetValue<string>() is { Length: > 0 } next ? next : null;
        }
        while (continueToken is not null);

        if (!Served)
        {
            Log.NowServed(logger, _path);
        }

        Served = true;
        ResourceVersion = version;
        ReplaceAll(fresh);
        return true;
    }

    private void ReplaceAll(Dictionary<string, JsonObject> fresh)
    {
        foreach (var key in _objects.Keys)
        {
            if (!fresh.ContainsKey(key))
            {
                _objects.TryRemove(key, out _);
            }
        }

        foreach (var (key, item) in fresh)
        {
            _objects[key] = item;
        }

        Lists++;
        Changed?.Invoke(new InformerEvent(InformerEventType.Relisted, null));
        _synced.TrySetResult();
    }

    private async Task WatchAsync(CancellationToken cancellation)
    {
        var timeout = (int)_options.WatchTimeout.TotalSeconds;
        var path = $"{_path}?watch=true&allowWatchBookmarks=true&timeoutSeconds={timeout.ToString(CultureInfo.InvariantCulture)}"
            + $"&resourceVersion={Uri.EscapeDataString(ResourceVersion ?? "")}";
        using var response = await api.OpenStreamAsync(path, cancellation);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellation);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancellation) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            var watchEvent = JsonNode.Parse(line) as JsonObject ?? throw new JsonException("a watch event is not a JSON object");
            var type = watchEvent["type"]?.GetValue<string>();
            var item = watchEvent["object"] as JsonObject;
            if (type == "ERROR")
            {
                throw KubernetesApiException.FromStatus(item);
            }

            if (item is null)
            {
                continue;
            }

            if (item["metadata"]?["resourceVersion"]?.GetValue<string>() is { } version)
            {
                ResourceVersion = version;
            }

            switch (type)
            {
                case "ADDED" or "MODIFIED":
                    _objects[KeyOf(item)] = item;
                    Changed?.Invoke(new InformerEvent(InformerEventType.Upserted, item));
                    break;
                case "DELETED":
                    _objects.TryRemove(KeyOf(item), out _);
                    Changed?.Invoke(new InformerEvent(InformerEventType.Deleted, item));
                    break;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(100, LogLevel.Information, "{Resource}: resource version {Version} is too old (410 Gone); listing again")]
        public static partial void Expired(ILogger logger, string resource, string version);

        [LoggerMessage(101, LogLevel.Warning, "{Resource}: {Error}; retrying in {Seconds:0.0} s")]
        public static partial void Failed(ILogger logger, string resource, double seconds, string error);

        [LoggerMessage(102, LogLevel.Information, "{Resource} is not served by the API server (is its CRD installed?); looking again periodically")]
        public static partial void NotServed(ILogger logger, string resource);

        [LoggerMessage(103, LogLevel.Information, "{Resource} is served now")]
        public static partial void NowServed(ILogger logger, string resource);
    }
}
