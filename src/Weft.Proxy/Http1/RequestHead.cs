namespace Weft.Proxy.Http1;

/// <summary>A parsed request head: the request line and the headers the engine acts on, as offsets into its bytes.</summary>
internal sealed class RequestHead : Http1Head
{
    /// <summary>The method; the common ones are shared strings, so reading it allocates nothing.</summary>
    public string Method { get; internal set; } = "GET";

    /// <summary>Where the path (and query) to send upstream starts: origin-form, also for an absolute-form target.</summary>
    public int PathStart { get; internal set; }

    /// <summary>Path and query's length.</summary>
    public int PathAndQueryLength { get; internal set; }

    /// <summary>The path's length without the query.</summary>
    public int PathLength { get; internal set; }

    /// <summary>An absolute-form target's authority (what an HTTP_PROXY client sends), else -1.</summary>
    public int TargetAuthorityStart { get; internal set; } = -1;

    public int TargetAuthorityLength { get; internal set; }

    /// <summary>The Host header's index, or -1 (HTTP/1.0 may omit it).</summary>
    public int HostIndex { get; internal set; } = -1;

    public bool HasUpgrade { get; internal set; }

    /// <summary>Expect: 100-continue.</summary>
    public bool ExpectsContinue { get; internal set; }

    /// <summary>An Expect other than 100-continue.</summary>
    public bool HasOtherExpectation { get; internal set; }

    public ReadOnlySpan<byte> PathAndQuery => Bytes.Slice(PathStart, PathAndQueryLength);

    public ReadOnlySpan<byte> Path => Bytes.Slice(PathStart, PathLength);

    /// <summary>The authority the client named: the absolute-form target's, else the Host header's; empty if neither.</summary>
    public ReadOnlySpan<byte> Authority => TargetAuthorityStart >= 0
        ? Bytes.Slice(TargetAuthorityStart, TargetAuthorityLength)
        : HostIndex >= 0 ? Value(HostIndex) : [];

    /// <summary>The request has a body to forward.</summary>
    public bool HasBody => IsChunked || ContentLength > 0;

    protected override void ResetFields()
    {
        Method = "GET";
        PathStart = PathAndQueryLength = PathLength = 0;
        TargetAuthorityStart = -1;
        TargetAuthorityLength = 0;
        HostIndex = -1;
        HasUpgrade = ExpectsContinue = HasOtherExpectation = false;
    }
}
