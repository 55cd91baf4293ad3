namespace Weft.Proxy.Http1;

/// <summary>A parsed response head from an upstream, as offsets into its bytes.</summary>
internal sealed class ResponseHead : Http1Head
{
    public int StatusCode { get; internal set; }

    /// <summary>1xx: an interim response, another head follows.</summary>
    public bool IsInterim => StatusCode is >= 100 and < 200;

    /// <summary>The index of the first header line (after the status line) in <see cref="Http1Head.Bytes"/>.</summary>
    public int FirstHeaderLine { get; internal set; }

    /// <summary>
    /// Whether a body follows the head: never after HEAD, 1xx, 204 or 304 (RFC 9112 §6.3), whatever
    /// the headers say.
    /// </summary>
    public bool HasBody(bool requestWasHead) => !requestWasHead && StatusCode is not (204 or 304) && !IsInterim;

    /// <summary>The body is delimited by the connection's close (no length, not chunked).</summary>
    public bool IsCloseDelimited(bool requestWasHead) => HasBody(requestWasHead) && !IsChunked && ContentLength < 0;

    protected override void ResetFields()
    {
        StatusCode = 0;
        FirstHeaderLine = 0;
    }
}
