namespace Weft.ControlPlane.Registry;

/// <summary>A runtime that replaces a workload's replicas one at a time, like `kubectl rollout restart`.</summary>
public interface IWorkloadRestarter
{
    /// <summary>Replaces every replica of the workload; each new one is ready before the next old one stops.</summary>
    /// <exception cref="ArgumentException">No such workload.</exception>
    /// <exception cref="TimeoutException">A new replica did not become ready in time; the old one it was to replace keeps running.</exception>
    Task<RolloutResult> RestartAsync(string @namespace, string workload, CancellationToken cancellation);
}

/// <summary>Which instance replaced which, in order, and how long each step took.</summary>
public sealed record RolloutResult(string Workload, IReadOnlyList<RolloutStep> Steps);

public sealed record RolloutStep(string Old, string New, double Seconds);
