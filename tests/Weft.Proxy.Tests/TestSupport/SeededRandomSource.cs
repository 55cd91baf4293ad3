using Weft.Proxy.LoadBalancing;

namespace Weft.Proxy.Tests.TestSupport;

/// <summary>A deterministic <see cref="IRandomSource"/> (single-threaded use only).</summary>
internal sealed class SeededRandomSource(int seed) : IRandomSource
{
    private readonly Random _random = new(seed);

    public int Next(int maxExclusive) => _random.Next(maxExclusive);

    public double NextDouble() => _random.NextDouble();
}

/// <summary>Returns the given values in turn (modulo maxExclusive), cycling.</summary>
internal sealed class ScriptedRandomSource(params int[] values) : IRandomSource
{
    private int _index;

    public int Next(int maxExclusive) => values[_index++ % values.Length] % maxExclusive;

    public double NextDouble() => 0;
}
