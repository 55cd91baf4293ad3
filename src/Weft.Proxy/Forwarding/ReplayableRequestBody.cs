using System.Buffers;

namespace Weft.Proxy.Forwarding;

/// <summary>
/// Wraps a request body so a retry can send it again: the bytes read so far are kept (up to a
/// limit) and replayed before reading on from the client. A body that outgrows the limit — a large
/// upload or a long client stream — can no longer be replayed, and the request is not retried,
/// as Envoy does with its retry buffer.
/// </summary>
internal sealed class ReplayableRequestBody(Stream inner, int limit) : Stream
{
    private byte[]? _recorded = ArrayPool<byte>.Shared.Rent(Math.Min(limit, 4096));
    private int _length;
    private int _replayPosition = -1;

    /// <summary>False once more than the limit was read: the body cannot be sent again.</summary>
    public bool CanReplay => _recorded is not null;

    /// <summary>The bytes read so far (all of the body once it has been read to the end).</summary>
    public ReadOnlyMemory<byte> Recorded => _recorded is null ? ReadOnlyMemory<byte>.Empty : _recorded.AsMemory(0, _length);

    /// <summary>Starts the next read from the first byte again.</summary>
    public void Rewind()
    {
        if (!CanReplay)
        {
            throw new InvalidOperationException("the request body outgrew the retry buffer and cannot be replayed");
        }

        _replayPosition = 0;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_replayPosition >= 0 && _replayPosition < _length)
        {
            var count = Math.Min(buffer.Length, _length - _replayPosition);
            _recorded.AsMemory(_replayPosition, count).CopyTo(buffer);
            _replayPosition += count;
            return count;
        }

        var read = await inner.ReadAsync(buffer, cancellationToken);
        Record(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    private void Record(ReadOnlySpan<byte> bytes)
    {
        if (_recorded is null || bytes.IsEmpty)
        {
            return;
        }

        if (_length + bytes.Length > limit)
        {
            Release(); // too big to keep: no replay
            return;
        }

        if (_length + bytes.Length > _recorded.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(limit, Math.Max(_recorded.Length * 2, _length + bytes.Length)));
            _recorded.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_recorded);
            _recorded = larger;
        }

        bytes.CopyTo(_recorded.AsSpan(_length));
        _length += bytes.Length;
        if (_replayPosition >= 0)
        {
            _replayPosition = _length;
        }
    }

    private void Release()
    {
        if (_recorded is not null)
        {
            ArrayPool<byte>.Shared.Return(_recorded);
            _recorded = null;
        }
    }

    protected override void Dispose(bool disposing)
    {
        Release();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
