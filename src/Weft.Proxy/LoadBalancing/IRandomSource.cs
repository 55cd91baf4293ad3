namespace Weft.Proxy.LoadBalancing;

/// <summary>
/// The randomness behind weighted splits and load balancing, injected (like YARP's IRandomFactory)
/// so that tests are deterministic. Implementations must be safe to call from any thread.
/// </summary>
internal interface IRandomSource
{
    /// <summary>A uniformly distributed integer in [0, <paramref name="maxExclusive"/>).</summary>
    int Next(int maxExclusive);

    /// <summary>A uniformly distributed double in [0, 1).</summary>
    double NextDouble();
}
