namespace Weft.Proxy.Http1;

/// <summary>A body could not be relayed: the side that sent it closed early or broke its framing, or the receiving side went away.</summary>
internal sealed class BodyCopyException(bool sourceFailed, string message) : IOException(message)
{
    /// <summary>True: the sender of the body failed (closed mid-body, malformed chunk); false: the receiver stopped taking it.</summary>
    public bool SourceFailed { get; } = sourceFailed;
}
