using Weft.Kubernetes.Tests.Cluster;

namespace Weft.Kubernetes.Tests.Simulation;

/// <summary>Polls a synchronous condition (the control plane's state) with <see cref="TestNamespace.Eventually(Func{Task{bool}}, TimeSpan, string)"/>.</summary>
public static class Poll
{
    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what) => TestNamespace.Eventually(() => Task.FromResult(condition()), timeout, what);
}
