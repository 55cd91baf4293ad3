namespace Weft.Cli.Local;

/// <summary>How the local runtime stops and replaces instances.</summary>
internal sealed class LocalRuntimeOptions
{
    /// <summary>
    /// How long a stopping instance gets: first for the proxies to drop its endpoint, then for its
    /// app to finish the requests in flight after SIGTERM, then for its sidecar (each bounded by it).
    /// </summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long `weft restart` waits for a new replica to become ready before it gives up (the old one keeps running).</summary>
    public TimeSpan RolloutReadyTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
