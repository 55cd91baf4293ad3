namespace Weft.Proxy.Http1;

/// <summary>One side of the proxy (outbound or inbound) as the engine runs it.</summary>
internal interface IHttp1Side
{
    /// <summary>
    /// The first stages (route or port selection), run on the parsed head before anything is consumed:
    /// false hands the connection, this request included, to the Kestrel path.
    /// </summary>
    bool Carries(Http1Exchange exchange);

    /// <summary>The remaining stages, ending with the response written and telemetry recorded.</summary>
    ValueTask HandleAsync(Http1Exchange exchange);
}
