using System.IO.Pipelines;

namespace Weft.Proxy.Http1;

/// <summary>
/// One kept-alive HTTP/1.1 connection to an upstream (a peer sidecar over mTLS, or the local app).
/// While it waits in the pool a zero-byte read is pending on it: if that read completes, the upstream
/// closed (or sent bytes nobody asked for) and the connection is not used again.
/// </summary>
internal sealed class UpstreamConnection : IAsyncDisposable
{
    private readonly Stream _stream;
    private Task<int>? _idleRead;

    public UpstreamConnection(Stream stream, object key)
    {
        _stream = stream;
        Key = key;
        Input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4096, leaveOpen: true));
        Output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    /// <summary>The pool this connection belongs to.</summary>
    public object Key { get; }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    /// <summary>The connection carried a request before this one (so a failure before any response byte may just be a stale close).</summary>
    public bool IsReused { get; private set; }

    /// <summary>When it was put back into the pool (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long IdleSince { get; private set; }

    /// <summary>Parks the connection: starts the pending read that tells a close while idle.</summary>
    public void Park(long now)
    {
        IsReused = true;
        IdleSince = now;
        _idleRead = _stream.ReadAsync(Memory<byte>.Empty).AsTask();
    }

    /// <summary>False when the upstream closed it (or wrote to it) while it was idle.</summary>
    public bool IsAlive => _idleRead is not { IsCompleted: true };

    /// <summary>Before reading a response: waits for the idle read to finish (it finishes when the response's first bytes arrive).</summary>
    public ValueTask BeforeReadAsync(CancellationToken cancellation)
    {
        if (_idleRead is not { } idle)
        {
            return ValueTask.CompletedTask;
        }

        _idleRead = null;
        return idle.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(idle.WaitAsync(cancellation));
    }

    public async ValueTask DisposeAsync()
    {
        await Input.CompleteAsync();
        await Output.CompleteAsync();
        await _stream.DisposeAsync();
        if (_idleRead is { } idle)
        {
            await idle.ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }
}
