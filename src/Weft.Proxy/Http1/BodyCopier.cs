using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;

namespace Weft.Proxy.Http1;

/// <summary>
/// Relays a message body from one pipe to another as it arrives: a Content-Length body byte for
/// byte, a close-delimited body until the end, a chunked body re-framed chunk by chunk (extensions
/// dropped, as an intermediary may; trailers passed on) after checking every size line. Each
/// returns the body's payload size, for the byte metrics.
/// </summary>
internal static class BodyCopier
{
    public static async ValueTask<long> CopyContentLengthAsync(PipeReader from, PipeWriter to, long length, CancellationToken cancellation)
    {
        var remaining = length;
        while (remaining > 0)
        {
            var read = await from.ReadAsync(cancellation);
            var buffer = read.Buffer;
            if (buffer.IsEmpty && (read.IsCompleted || read.IsCanceled))
            {
                from.AdvanceTo(buffer.End);
                throw new BodyCopyException(true, $"the sender closed with {remaining} of {length} body bytes unsent");
            }

            var take = buffer.Slice(0, Math.Min(buffer.Length, remaining));
            Write(to, take);
            remaining -= take.Length;
            from.AdvanceTo(take.End);
            await FlushAsync(to, cancellation);
        }

        return length;
    }

    public static async ValueTask<long> CopyUntilCloseAsync(PipeReader from, PipeWriter to, CancellationToken cancellation)
    {
        long total = 0;
        while (true)
        {
            var read = await from.ReadAsync(cancellation);
            var buffer = read.Buffer;
            Write(to, buffer);
            total += buffer.Length;
            from.AdvanceTo(buffer.End);
            await FlushAsync(to, cancellation);
            if (read.IsCompleted || read.IsCanceled)
            {
                return total;
            }
        }
    }

    public static async ValueTask<long> CopyChunkedAsync(PipeReader from, PipeWriter to, CancellationToken cancellation)
    {
        long total = 0;
        while (true)
        {
            var size = await ReadChunkSizeAsync(from, cancellation);
            if (size == 0)
            {
                await CopyTrailersAsync(from, to, cancellation);
                return total;
            }

            WriteChunkSize(to, size);
            await CopyContentLengthAsync(from, to, size, cancellation);
            await ExpectCrlfAsync(from, cancellation);
            to.Write("\r\n"u8);
            total += size;
        }
    }

    private static async ValueTask<long> ReadChunkSizeAsync(PipeReader from, CancellationToken cancellation)
    {
        while (true)
        {
            var read = await from.ReadAsync(cancellation);
            var buffer = read.Buffer;
            if (ChunkFraming.TryReadLine(buffer, Http1Limits.MaxChunkLine, out var line, out var next, out var error))
            {
                var status = ChunkFraming.TryParseSize(line, out var size, out error);
                from.AdvanceTo(next);
                return status ? size : throw new BodyCopyException(true, error);
            }

            from.AdvanceTo(buffer.Start, buffer.End);
            if (error is not null || read.IsCompleted || read.IsCanceled)
            {
                throw new BodyCopyException(true, error ?? "the sender closed before the chunk size");
            }
        }
    }

    private static async ValueTask ExpectCrlfAsync(PipeReader from, CancellationToken cancellation)
    {
        while (true)
        {
            var read = await from.ReadAsync(cancellation);
            var buffer = read.Buffer;
            if (buffer.Length >= 2)
            {
                var crlf = IsCrlf(buffer.Slice(0, 2));
                from.AdvanceTo(buffer.GetPosition(2));
                if (!crlf)
                {
                    throw new BodyCopyException(true, "a chunk's data is not followed by CRLF");
                }

                return;
            }

            from.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted || read.IsCanceled)
            {
                throw new BodyCopyException(true, "the sender closed inside a chunk");
            }
        }
    }

    private static async ValueTask CopyTrailersAsync(PipeReader from, PipeWriter to, CancellationToken cancellation)
    {
        while (true)
        {
            var read = await from.ReadAsync(cancellation);
            var buffer = read.Buffer;
            var status = ChunkFraming.TryFindTrailersEnd(buffer, out var end, out var error);
            if (status == ParseStatus.Complete)
            {
                to.Write("0\r\n"u8);
                Write(to, buffer.Slice(0, end));
                from.AdvanceTo(buffer.GetPosition(end));
                await FlushAsync(to, cancellation);
                return;
            }

            from.AdvanceTo(buffer.Start, buffer.End);
            if (status == ParseStatus.Invalid || read.IsCompleted || read.IsCanceled)
            {
                throw new BodyCopyException(true, error ?? "the sender closed inside the trailers");
            }
        }
    }

    private static bool IsCrlf(in ReadOnlySequence<byte> two)
    {
        Span<byte> bytes = stackalloc byte[2];
        two.CopyTo(bytes);
        return bytes.SequenceEqual("\r\n"u8);
    }

    private static void WriteChunkSize(PipeWriter to, long size)
    {
        var span = to.GetSpan(20);
        Utf8Formatter.TryFormat(size, span, out var written, new StandardFormat('x'));
        span[written] = (byte)'\r';
        span[written + 1] = (byte)'\n';
        to.Advance(written + 2);
    }

    private static void Write(PipeWriter to, in ReadOnlySequence<byte> bytes)
    {
        foreach (var segment in bytes)
        {
            to.Write(segment.Span);
        }
    }

    private static async ValueTask FlushAsync(PipeWriter to, CancellationToken cancellation)
    {
        var flushed = await to.FlushAsync(cancellation);
        if (flushed.IsCompleted)
        {
            throw new BodyCopyException(false, "the receiver stopped reading the body");
        }
    }
}
