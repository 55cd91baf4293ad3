namespace Weft.Proxy.Http1;

/// <summary>Why a head was refused: the status the proxy answers with, and what was wrong.</summary>
internal readonly record struct ParseError(int Status, string Detail)
{
    public static ParseError BadRequest(string detail) => new(400, detail);
}

internal enum ParseStatus
{
    /// <summary>The head has not fully arrived yet (and is within the limits).</summary>
    Incomplete,
    Complete,
    Invalid,
}
