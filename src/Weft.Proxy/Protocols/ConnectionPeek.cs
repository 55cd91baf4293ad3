using System.Buffers;
using System.IO.Pipelines;

namespace Weft.Proxy.Protocols;

/// <summary>
/// Looks at the first bytes of a connection without consuming them, so the next reader (TLS,
/// Kestrel's HTTP parser, a TCP relay) still sees everything. Waits a bounded time: a client that
/// says nothing (server-first protocols) must not hang protocol detection.
/// </summary>
internal static class ConnectionPeek
{
    public static async ValueTask<byte[]> ReadAsync(PipeReader input, int wanted, Func<ReadOnlySequence<byte>, bool> enough, TimeSpan timeout, CancellationToken cancellation)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        ReadOnlySequence<byte> buffer = default;
        while (true)
        {
            ReadResult read;
            try
            {
                read = await input.ReadAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                // Timed out: the bytes read so far were left unconsumed; a later ReadAsync returns them.
                return buffer.ToArray();
            }

            buffer = read.Buffer;
            var done = buffer.Length >= wanted || read.IsCompleted || read.IsCanceled || enough(buffer);
            var copy = done ? buffer.Slice(0, Math.Min(buffer.Length, wanted)).ToArray() : null;
            // Examined everything (so the next read waits for more), consumed nothing.
            input.AdvanceTo(buffer.Start, done ? buffer.Start : buffer.End);
            if (done)
            {
                return copy!;
            }
        }
    }
}
