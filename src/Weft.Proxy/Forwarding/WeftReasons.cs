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
}
