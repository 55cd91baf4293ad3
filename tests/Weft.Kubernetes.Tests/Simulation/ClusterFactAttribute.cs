namespace Weft.Kubernetes.Tests.Simulation;

/// <summary>
/// A test against a real API server: the cluster named by WEFT_TEST_KUBECONFIG (the project's
/// scripts/test-cluster.sh, or a user's kind/k3d). Skips, naming the variable, without one.
/// </summary>
public sealed class ClusterFactAttribute : FactAttribute
{
    public const string Variable = "WEFT_TEST_KUBECONFIG";

    public ClusterFactAttribute()
    {
        if (Kubeconfig is null)
        {
            Skip = $"needs a Kubernetes API server: set {Variable} to a kubeconfig (scripts/test-cluster.sh up prints one)";
        }
    }

    public static string? Kubeconfig => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } path && File.Exists(path) ? path : null;
}
