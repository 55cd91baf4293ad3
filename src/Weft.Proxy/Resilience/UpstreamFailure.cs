namespace Weft.Proxy.Resilience;

/// <summary>Ways an upstream attempt can fail without producing a response.</summary>
internal enum UpstreamFailure
{
    /// <summary>The connection to the endpoint could not be established (refused, connect timeout, TLS failure).</summary>
    ConnectFailure,

    /// <summary>The connection or stream was reset/closed before a response arrived.</summary>
    Reset,

    /// <summary>The per-try timeout expired before a response arrived.</summary>
    Timeout,

    /// <summary>The upstream refused the HTTP/2 stream (REFUSED_STREAM).</summary>
    RefusedStream,
}
