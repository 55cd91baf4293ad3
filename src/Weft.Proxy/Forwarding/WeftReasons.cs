namespace Weft.Proxy.Forwarding;

/// <summary>
/// Why the proxy itself answered instead of the application: sent in the x-weft-reason header
/// and recorded as the response_flags metric label, so a failed request names its cause.
/// </summary>
internal static class WeftReasons
{
    public const string Header = "x-weft-reason";
    public const string None = "-";
    public const string AuthzDenied = "authz-denied";
    /// <summary>A JWT that RequestAuthentication does not accept (401).</summary>
    public const string JwtInvalid = "jwt-invalid";
    public const string NoRoute = "no-route";
    public const string NoHealthyUpstream = "no-healthy-upstream";
    public const string UpstreamTimeout = "upstream-timeout";
    public const string UpstreamReset = "upstream-reset";
    public const string UpstreamConnectFailure = "upstream-connect-failure";
    public const string MtlsRequired = "mtls-required";
    public const string NotReady = "proxy-not-ready";
    public const string FaultAbort = "fault-abort";
    public const string Overflow = "overflow";
    public const string ClientClosed = "client-closed";
    /// <summary>The HTTP/1.1 engine refused a malformed request head (400).</summary>
    public const string BadRequest = "bad-request";
    /// <summary>The request line is over the engine's limit (414).</summary>
    public const string RequestLineTooLong = "request-line-too-long";
    /// <summary>The header block is over the engine's limits (431).</summary>
    public const string HeadersTooLarge = "headers-too-large";
    /// <summary>A transfer coding other than chunked (501).</summary>
    public const string UnsupportedTransferCoding = "unsupported-transfer-coding";
    /// <summary>An HTTP version other than 1.0 and 1.1 on an HTTP/1 connection (505).</summary>
    public const string UnsupportedVersion = "unsupported-version";
}
