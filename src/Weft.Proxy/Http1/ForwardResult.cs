namespace Weft.Proxy.Http1;

internal enum ForwardOutcome
{
    /// <summary>The response (head and body) went to the client.</summary>
    Relayed,

    /// <summary>A retriable status that the retry loop asked to hold back; nothing went to the client.</summary>
    HeldBack,

    /// <summary>No connection could be made (TCP or mTLS); nothing was sent.</summary>
    ConnectFailure,

    /// <summary>The upstream failed before a response head; nothing went to the client.</summary>
    ResetBeforeResponse,

    /// <summary>The upstream failed after the response started; the client connection was cut.</summary>
    ResetAfterResponseStarted,

    /// <summary>The client went away (closed mid-body or stopped reading).</summary>
    ClientGone,
}

/// <summary>What one attempt came to: the outcome, the upstream's status when there was one, and why it failed.</summary>
internal readonly record struct ForwardResult(ForwardOutcome Outcome, int Status = 0, string? Detail = null);
