using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Weft.Proxy.Telemetry;

namespace Weft.Proxy.Http1;

/// <summary>
/// The per-request state of the engine, one per client connection and reused for each of its
/// requests: the parsed head, what the stages decided, and what telemetry records at the end.
/// </summary>
internal sealed class Http1Exchange(ConnectionContext connection) : IDisposable
{
    private CancellationTokenSource _aborted = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
    private byte[] _authorityBytes = [];
    private string _authority = "";

    public ConnectionContext Connection { get; } = connection;

    public RequestHead Request { get; } = new();

    public ResponseHead Response { get; } = new();

    public long Started { get; private set; }

    /// <summary>The status the client got (0 when it got none).</summary>
    public int Status { get; set; }

    public long RequestBytes { get; set; }

    public long ResponseBytes { get; set; }

    /// <summary>Whether the client connection can carry another request after this one.</summary>
    public bool KeepAlive { get; set; }

    /// <summary>The config the request is decided by (read once, at its first stage).</summary>
    public Configuration.ProxySnapshot? Snapshot { get; set; }

    /// <summary>Outbound: the service the request is for, and the route that matched.</summary>
    public Routing.CompiledVirtualHost? VirtualHost { get; set; }

    public Routing.CompiledRoute? Route { get; set; }

    /// <summary>Inbound: the workload port the request arrived for.</summary>
    public Configuration.InboundRuntime? Inbound { get; set; }

    /// <summary>A request body read whole before the first attempt, so a retry can send it again; null when it streams.</summary>
    public bool HasBufferedBody => _bufferedLength >= 0;

    public ReadOnlyMemory<byte> BufferedBody => _bodyBuffer.AsMemory(0, Math.Max(0, _bufferedLength));

    private byte[] _bodyBuffer = [];
    private int _bufferedLength = -1;

    /// <summary>Reads a Content-Length body whole (the caller checked it is small); false if the client closed first.</summary>
    public async ValueTask<bool> BufferBodyAsync()
    {
        var length = (int)Request.ContentLength;
        if (_bodyBuffer.Length < length)
        {
            ReturnBodyBuffer();
            _bodyBuffer = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        }

        var input = Connection.Transport.Input;
        var filled = 0;
        while (filled < length)
        {
            var read = await input.ReadAsync(RequestAborted);
            var take = read.Buffer.Slice(0, Math.Min(read.Buffer.Length, length - filled));
            System.Buffers.BuffersExtensions.CopyTo(take, _bodyBuffer.AsSpan(filled));
            filled += (int)take.Length;
            input.AdvanceTo(take.End);
            if (filled < length && (read.IsCompleted || read.IsCanceled))
            {
                return false;
            }
        }

        _bufferedLength = length;
        return true;
    }

    private void ReturnBodyBuffer()
    {
        if (_bodyBuffer.Length > 0)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(_bodyBuffer);
            _bodyBuffer = [];
        }
    }

    /// <summary>The side's header edits, made once per connection.</summary>
    public HeaderSplice? OutboundSplice { get; set; }

    public HeaderSplice? InboundSplice { get; set; }

    /// <summary>The request path as a string (for matching, the tap and the access log), made once per request.</summary>
    public string Path { get; private set; } = "/";

    /// <summary>Cancelled when the client goes away during this request.</summary>
    public CancellationToken RequestAborted => _aborted.Token;

    public void Abort() => _aborted.Cancel();

    public void Begin()
    {
        if (!_aborted.TryReset())
        {
            _aborted.Dispose();
            _aborted = CancellationTokenSource.CreateLinkedTokenSource(Connection.ConnectionClosed);
        }

        Started = Stopwatch.GetTimestamp();
        Status = 0;
        RequestBytes = 0;
        ResponseBytes = 0;
        Snapshot = null;
        _bufferedLength = -1;
        VirtualHost = null;
        Route = null;
        Inbound = null;
        KeepAlive = !Request.ConnectionClose;
        Path = Request.PathLength == 0 || (Request.PathLength == 1 && Request.Path[0] == (byte)'/') ? "/" : Encoding.ASCII.GetString(Request.Path);
    }

    /// <summary>
    /// The request is plain HTTP/1.1 the engine can carry whatever its route: not an upgrade, CONNECT
    /// or HTTP/1.0; no Connection option or expectation it would have to act on; a path with no
    /// percent-encoding or dot segments (Kestrel decodes and normalizes those before routing and
    /// authorization see them, so they stay on its path and are judged the same way); an absolute-form
    /// target that agrees with Host.
    /// </summary>
    public bool IsPlain()
    {
        var request = Request;
        if (request.MinorVersion == 0 || request.HasUpgrade || request.ConnectionNamesOthers || request.HasOtherExpectation
            || ReferenceEquals(request.Method, "CONNECT") || request.Path.IndexOf((byte)'%') >= 0 || request.Path.IndexOf("/."u8) >= 0
            || (!request.Path.IsEmpty && request.Path[0] != (byte)'/'))
        {
            return false;
        }

        return request.TargetAuthorityStart < 0 || request.HostIndex < 0
            || Ascii.EqualsIgnoreCase(request.Value(request.HostIndex), request.Authority);
    }

    /// <summary>The authority as a string; a connection's requests nearly always repeat it, so it is made once.</summary>
    public string Authority
    {
        get
        {
            var bytes = Request.Authority;
            if (!bytes.SequenceEqual(_authorityBytes))
            {
                _authorityBytes = bytes.ToArray();
                _authority = Encoding.ASCII.GetString(bytes);
            }

            return _authority;
        }
    }

    /// <summary>The request's headers as a dictionary, for the decisions that read arbitrary headers (header route matches, authorization).</summary>
    public IHeaderDictionary HeaderDictionary()
    {
        var headers = new HeaderDictionary(Request.HeaderCount);
        for (var i = 0; i < Request.HeaderCount; i++)
        {
            var name = Encoding.ASCII.GetString(Request.Name(i));
            var value = Encoding.Latin1.GetString(Request.Value(i));
            headers[name] = headers.TryGetValue(name, out var existing) ? Microsoft.Extensions.Primitives.StringValues.Concat(existing, value) : value;
        }

        return headers;
    }

    /// <summary>The first value of a header as a string, or null.</summary>
    public string? HeaderValue(ReadOnlySpan<byte> lowerCaseName) =>
        Request.IndexOf(lowerCaseName) is var i and >= 0 ? Encoding.Latin1.GetString(Request.Value(i)) : null;

    /// <summary>Facts for <see cref="RequestRecorder"/>.</summary>
    public RequestFacts Facts() => new(Request.Method, Authority, Path, Request.MinorVersion == 1 ? "HTTP/1.1" : "HTTP/1.0",
        HeaderValue("traceparent"u8), HeaderValue("x-b3-traceid"u8), RequestBytes, ResponseBytes);

    public void Dispose()
    {
        _aborted.Dispose();
        ReturnBodyBuffer();
        Request.Dispose();
        Response.Dispose();
    }
}
