namespace Weft.Proxy.Http1;

/// <summary>
/// The limits of Weft's HTTP/1.1 engine. A request over them is answered by the proxy itself
/// (414 for the request line, 431 for the header block, both with x-weft-reason) and its connection
/// closed; a response over them fails the attempt as an upstream reset.
/// </summary>
internal static class Http1Limits
{
    /// <summary>Request line (method, target, version), CRLF excluded: 8 KiB, Kestrel's default.</summary>
    public const int MaxRequestLine = 8 * 1024;

    /// <summary>The whole head (request or status line and every header line): 32 KiB, Kestrel's default.</summary>
    public const int MaxHead = 32 * 1024;

    /// <summary>Header fields in one head: 100, Kestrel's default.</summary>
    public const int MaxHeaders = 100;

    /// <summary>A chunk-size line with its extensions.</summary>
    public const int MaxChunkLine = 4 * 1024;

    /// <summary>The trailer section of a chunked body.</summary>
    public const int MaxTrailers = 16 * 1024;
}
