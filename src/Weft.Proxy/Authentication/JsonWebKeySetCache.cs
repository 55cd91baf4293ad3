using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Weft.Proxy.Authentication;

/// <summary>
/// The signing keys of jwksUri rules, fetched in the background (http, https or a file) and kept
/// across config snapshots; refreshed every <see cref="RefreshInterval"/>, retried every
/// <see cref="RetryInterval"/> while a fetch fails. Until a URI's keys have arrived, tokens for it fail
/// validation (as Istio rejects tokens when it could not fetch the keys).
/// </summary>
internal sealed partial class JsonWebKeySetCache(HttpClient http, TimeProvider time, ILogger<JsonWebKeySetCache> logger) : IDisposable
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(20);
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>The keys of a URI, or null when they have not been fetched (yet). Starts the fetch on first use.</summary>
    public IList<SecurityKey>? Get(string uri) => _entries.GetOrAdd(uri, Start).Keys;

    private Entry Start(string uri)
    {
        var entry = new Entry();
        _ = RefreshLoopAsync(uri, entry);
        return entry;
    }

    private async Task RefreshLoopAsync(string uri, Entry entry)
    {
        while (!_stopping.IsCancellationRequested)
        {
            TimeSpan next;
            try
            {
                var json = await ReadAsync(new Uri(uri), _stopping.Token);
                entry.Keys = new JsonWebKeySet(json).GetSigningKeys();
                next = RefreshInterval;
            }
            catch (Exception e) when (e is not OperationCanceledException || !_stopping.IsCancellationRequested)
            {
                Log.FetchFailed(logger, uri, e.Message);
                next = RetryInterval;
            }

            try
            {
                await Task.Delay(next, time, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<string> ReadAsync(Uri uri, CancellationToken cancellation) =>
        uri.IsFile
            ? await File.ReadAllTextAsync(uri.LocalPath, cancellation)
            : await http.GetStringAsync(uri, cancellation);

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private sealed class Entry
    {
        public volatile IList<SecurityKey>? Keys;
    }

    private static partial class Log
    {
        [LoggerMessage(110, LogLevel.Warning, "Could not load the JSON Web Key Set at {Uri}: {Reason}; tokens it signs are rejected until it loads")]
        public static partial void FetchFailed(ILogger logger, string uri, string reason);
    }
}
