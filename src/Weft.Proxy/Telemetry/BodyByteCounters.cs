using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Weft.Proxy.Telemetry;

/// <summary>
/// Counts the bytes of a request body as the proxy reads it, for a body whose length is not
/// declared up front (chunked HTTP/1.1, HTTP/2 without content-length).
/// </summary>
internal sealed class RequestBodyCounter(Stream inner) : Stream
{
    private long _bytes;

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Counts the request's body when its length is unknown; a declared length is used as is.</summary>
    public static void Install(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentLength is not null || context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            return;
        }

        var counter = new RequestBodyCounter(request.Body);
        context.Features.Set(counter);
        request.Body = counter;
    }

    /// <summary>The request body's size: as counted, as declared, or 0 when it has none.</summary>
    public static long BytesOf(HttpContext context) =>
        context.Features.Get<RequestBodyCounter>()?.Bytes ?? context.Request.ContentLength ?? 0;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Count(int read)
    {
        Interlocked.Add(ref _bytes, read);
        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// Counts the bytes of a response body however it is written — the forwarder's stream copy or the
/// proxy's own responses through the pipe writer — by standing in for the server's response body
/// feature and passing everything through.
/// </summary>
internal sealed class ResponseBodyCounter : PipeWriter, IHttpResponseBodyFeature
{
    private readonly IHttpResponseBodyFeature _inner;
    private CountingStream? _stream;
    private long _bytes;

    private ResponseBodyCounter(IHttpResponseBodyFeature inner) => _inner = inner;

    public long Bytes => Interlocked.Read(ref _bytes);

    public static void Install(HttpContext context)
    {
        if (context.Features.Get<IHttpResponseBodyFeature>() is { } inner)
        {
            context.Features.Set<IHttpResponseBodyFeature>(new ResponseBodyCounter(inner));
        }
    }

    /// <summary>The response body's size as written, or its declared length when it was not counted.</summary>
    public static long BytesOf(HttpContext context) =>
        context.Features.Get<IHttpResponseBodyFeature>() is ResponseBodyCounter counter ? counter.Bytes : context.Response.ContentLength ?? 0;

    Stream IHttpResponseBodyFeature.Stream => _stream ??= new CountingStream(this, _inner.Stream);

    PipeWriter IHttpResponseBodyFeature.Writer => this;

    void IHttpResponseBodyFeature.DisableBuffering() => _inner.DisableBuffering();

    Task IHttpResponseBodyFeature.StartAsync(CancellationToken cancellationToken) => _inner.StartAsync(cancellationToken);

    Task IHttpResponseBodyFeature.SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _bytes, count ?? Math.Max(0, new FileInfo(path).Length - offset));
        return _inner.SendFileAsync(path, offset, count, cancellationToken);
    }

    Task IHttpResponseBodyFeature.CompleteAsync() => _inner.CompleteAsync();

    private void Add(long bytes) => Interlocked.Add(ref _bytes, bytes);

    // PipeWriter: what the proxy writes itself (HttpResponse.WriteAsync, BodyWriter).
    public override void Advance(int bytes)
    {
        Add(bytes);
        _inner.Writer.Advance(bytes);
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => _inner.Writer.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => _inner.Writer.GetSpan(sizeHint);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => _inner.Writer.FlushAsync(cancellationToken);

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        Add(source.Length);
        return _inner.Writer.WriteAsync(source, cancellationToken);
    }

    public override void CancelPendingFlush() => _inner.Writer.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => _inner.Writer.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => _inner.Writer.CompleteAsync(exception);

    public override bool CanGetUnflushedBytes => _inner.Writer.CanGetUnflushedBytes;

    public override long UnflushedBytes => _inner.Writer.UnflushedBytes;

    /// <summary>The response body as a stream (how the forwarder copies the upstream's body), counted.</summary>
    private sealed class CountingStream(ResponseBodyCounter counter, Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count)
        {
            counter.Add(count);
            inner.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            counter.Add(buffer.Length);
            inner.Write(buffer);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            counter.Add(buffer.Length);
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
