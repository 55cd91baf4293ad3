using System.Text.Json;
using System.Threading.Channels;

namespace Weft.Proxy.Telemetry;

/// <summary>One finished request as `weft tap`, `weft top` and `explain --denied` see it.</summary>
internal readonly record struct TapEntry(
    DateTimeOffset Time,
    Reporter Reporter,
    string Method,
    string Authority,
    string Path,
    int Status,
    string Reason,
    double DurationMs,
    string SourceWorkload,
    string SourceNamespace,
    string SourceIdentity,
    string DestinationWorkload,
    string DestinationNamespace,
    string DestinationIdentity,
    string? Upstream);

/// <summary>
/// The proxy's live view of its requests: the last <see cref="Capacity"/> kept in a ring (for
/// `explain --denied` and a quick look), and a stream for each watcher (the admin port's /tap).
/// A watcher that does not keep up loses entries instead of slowing requests down.
/// </summary>
internal sealed class RequestTap
{
    public const int Capacity = 512;
    private const int WatcherBuffer = 1024;

    private readonly TapEntry[] _ring = new TapEntry[Capacity];
    private readonly Lock _gate = new();
    private long _written;
    private volatile Channel<TapEntry>[] _watchers = [];

    public void Add(in TapEntry entry)
    {
        lock (_gate)
        {
            _ring[_written++ % Capacity] = entry;
        }

        var watchers = _watchers;
        for (var i = 0; i < watchers.Length; i++)
        {
            watchers[i].Writer.TryWrite(entry);
        }
    }

    /// <summary>The kept entries, oldest first.</summary>
    public List<TapEntry> Recent()
    {
        lock (_gate)
        {
            var count = (int)Math.Min(_written, Capacity);
            var entries = new List<TapEntry>(count);
            for (var i = _written - count; i < _written; i++)
            {
                entries.Add(_ring[i % Capacity]);
            }

            return entries;
        }
    }

    /// <summary>Every entry from now on, until <paramref name="cancellation"/>.</summary>
    public async IAsyncEnumerable<TapEntry> WatchAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        var channel = Channel.CreateBounded<TapEntry>(new BoundedChannelOptions(WatcherBuffer) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
        lock (_gate)
        {
            _watchers = [.. _watchers, channel];
        }

        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellation).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out var entry))
                {
                    yield return entry;
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                _watchers = [.. _watchers.Where(w => w != channel)];
            }
        }
    }

    /// <summary>One JSON object per entry, written field by field (no reflection: the proxy is AOT-compiled in bench/).</summary>
    public static string ToJson(in TapEntry entry)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("time", entry.Time);
            json.WriteString("reporter", entry.Reporter == Reporter.Source ? "source" : "destination");
            json.WriteString("method", entry.Method);
            json.WriteString("authority", entry.Authority);
            json.WriteString("path", entry.Path);
            json.WriteNumber("status", entry.Status);
            json.WriteString("reason", entry.Reason);
            json.WriteNumber("durationMs", Math.Round(entry.DurationMs, 3));
            json.WriteString("sourceWorkload", entry.SourceWorkload);
            json.WriteString("sourceNamespace", entry.SourceNamespace);
            json.WriteString("sourceIdentity", entry.SourceIdentity);
            json.WriteString("destinationWorkload", entry.DestinationWorkload);
            json.WriteString("destinationNamespace", entry.DestinationNamespace);
            json.WriteString("destinationIdentity", entry.DestinationIdentity);
            json.WriteString("upstream", entry.Upstream);
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
