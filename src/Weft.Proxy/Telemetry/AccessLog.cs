using System.Text.Json;
using System.Threading.Channels;

namespace Weft.Proxy.Telemetry;

/// <summary>
/// One request as the access log records it. The trace id is the proxy's span's when tracing is
/// on; otherwise the one the request carried (traceparent, else x-b3-traceid), taken from the
/// header by the writer so the request path does not format it.
/// </summary>
internal readonly record struct AccessLogEntry(
    DateTimeOffset Time,
    Reporter Reporter,
    string Method,
    string Authority,
    string Path,
    string Protocol,
    int Status,
    string Reason,
    double DurationMs,
    string? Upstream,
    string SourceIdentity,
    string DestinationIdentity,
    string? TraceParent,
    System.Diagnostics.ActivityTraceId SpanTraceId,
    System.Diagnostics.ActivitySpanId SpanId,
    string? B3TraceId,
    int Attempts,
    long RequestBytes,
    long ResponseBytes);

/// <summary>
/// JSON lines, one per request, written by a background task: the request path only enqueues a
/// struct into a bounded channel, and when the writer falls behind entries are dropped (and
/// counted) rather than slowing requests down.
/// </summary>
internal sealed class AccessLog : IAsyncDisposable
{
    private const int Capacity = 8192;
    private readonly Channel<AccessLogEntry> _entries;

    private readonly Stream _output;
    private readonly Task _writer;
    private long _dropped;

    private AccessLog(Stream output)
    {
        // DropWrite accepts every write and drops the newest entry when full: the callback counts it.
        _entries = Channel.CreateBounded<AccessLogEntry>(
            new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
            _ => Interlocked.Increment(ref _dropped));
        _output = output;
        _writer = Task.Run(WriteAsync);
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>"-" writes to standard output, "off" (or nothing) disables, anything else is a file appended to.</summary>
    public static AccessLog? Open(string? destination) => destination switch
    {
        null or "" or "off" => null,
        "-" => new AccessLog(Console.OpenStandardOutput()),
        _ => new AccessLog(new FileStream(destination, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.Asynchronous)),
    };

    public void Write(in AccessLogEntry entry)
    {
        if (!_entries.Writer.TryWrite(entry))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private async Task WriteAsync()
    {
        await using var json = new Utf8JsonWriter(_output, new JsonWriterOptions { SkipValidation = true });
        while (await _entries.Reader.WaitToReadAsync())
        {
            while (_entries.Reader.TryRead(out var entry))
            {
                WriteEntry(json, entry);
                await json.FlushAsync();
                json.Reset();
                _output.WriteByte((byte)'\n');
            }

            await _output.FlushAsync();
        }
    }

    private static void WriteEntry(Utf8JsonWriter json, in AccessLogEntry entry)
    {
        json.WriteStartObject();
        json.WriteString("time", entry.Time);
        json.WriteString("reporter", entry.Reporter == Reporter.Source ? "source" : "destination");
        json.WriteString("method", entry.Method);
        json.WriteString("authority", entry.Authority);
        json.WriteString("path", entry.Path);
        json.WriteString("protocol", entry.Protocol);
        json.WriteNumber("status", entry.Status);
        json.WriteString("reason", entry.Reason);
        json.WriteNumber("duration_ms", Math.Round(entry.DurationMs, 3));
        json.WriteString("upstream", entry.Upstream);
        json.WriteString("source", entry.SourceIdentity);
        json.WriteString("destination", entry.DestinationIdentity);
        json.WriteString("traceparent", entry.TraceParent);
        if (entry.SpanTraceId != default)
        {
            json.WriteString("trace_id", entry.SpanTraceId.ToHexString());
            json.WriteString("span_id", entry.SpanId.ToHexString());
        }
        else if (Tracing.TraceHeaders.TraceIdOf(entry.TraceParent, entry.B3TraceId) is { Length: > 0 } traceId)
        {
            json.WriteString("trace_id", traceId);
        }
        else
        {
            json.WriteNull("trace_id");
        }

        json.WriteNumber("attempts", entry.Attempts);
        json.WriteNumber("bytes_in", entry.RequestBytes);
        json.WriteNumber("bytes_out", entry.ResponseBytes);
        json.WriteEndObject();
    }

    public async ValueTask DisposeAsync()
    {
        _entries.Writer.TryComplete();
        await _writer;
        await _output.DisposeAsync();
    }
}
