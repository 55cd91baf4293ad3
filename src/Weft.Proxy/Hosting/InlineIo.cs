namespace Weft.Proxy.Hosting;

/// <summary>
/// Event-loop I/O: socket completions run on the epoll thread that saw them and Kestrel runs the
/// request there too, instead of each hop being queued to the thread pool. A proxy does little work
/// per request and never blocks on the request path, so the hand-offs were most of its cost: with
/// both on, a sidecar pair used ~40 % less CPU per request at 1000 rps and ~22 % less at 4000
/// (bench/README.md, "Event-loop I/O").
/// </summary>
/// <remarks>
/// The runtime reads <see cref="Variable"/> once, when the first socket is made, so it has to be in
/// the proxy's environment when it starts (the launcher sets it); Kestrel's half follows it, since
/// inline Kestrel scheduling over thread-pool socket completions measured no better.
/// </remarks>
public static class InlineIo
{
    /// <summary>The runtime's switch for running socket completions on the epoll thread.</summary>
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Whether this process was started with socket completions inline.</summary>
    public static bool Enabled => Environment.GetEnvironmentVariable(Variable) == "1";
}
