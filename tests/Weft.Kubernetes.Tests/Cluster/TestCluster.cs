using k8s;

namespace Weft.Kubernetes.Tests.Cluster;

/// <summary>
/// The Kubernetes cluster the tests run against: the one whose kubeconfig WEFT_TEST_KUBECONFIG names
/// (`scripts/test-cluster.sh up` prints one; a kind or k3d kubeconfig works as well). Probed once per
/// test run; when it is missing or does not answer, <see cref="SkipReason"/> says which.
/// </summary>
public static class TestCluster
{
    public const string KubeconfigVariable = "WEFT_TEST_KUBECONFIG";

    /// <summary>The image with `weft` (and weft-proxy, iptables, setpriv) that pod tests run; WEFT_TEST_IMAGE overrides it.</summary>
    public static string WeftImage { get; } = Environment.GetEnvironmentVariable("WEFT_TEST_IMAGE") is { Length: > 0 } image ? image : "docker.io/weft/weft:dev";

    private static readonly Lazy<Probe> State = new(ProbeCluster, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Null when the cluster answers; otherwise what is missing, and how to get it.</summary>
    public static string? SkipReason => State.Value.SkipReason;

    /// <summary>Null when the cluster answers and a node holds <see cref="WeftImage"/>; otherwise why pods from it cannot run.</summary>
    public static string? WeftImageSkipReason => State.Value.SkipReason ?? State.Value.ImageSkipReason;

    public static string KubeconfigPath => State.Value.KubeconfigPath ?? throw new InvalidOperationException(SkipReason);

    /// <summary>The server's version (gitVersion), e.g. v1.20.2.</summary>
    public static string ServerVersion => State.Value.ServerVersion ?? throw new InvalidOperationException(SkipReason);

    /// <summary>A client for the cluster; the caller disposes it.</summary>
    public static IKubernetes CreateClient() =>
        new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath));

    public static Kubectl Kubectl => new(KubeconfigPath);

    private static Probe ProbeCluster()
    {
        const string HowTo = "run `sudo scripts/test-cluster.sh up` and export " + KubeconfigVariable + " as the path it prints, or name the kubeconfig of a kind/k3d cluster";
        var path = Environment.GetEnvironmentVariable(KubeconfigVariable);
        if (string.IsNullOrEmpty(path))
        {
            return new Probe(null, $"{KubeconfigVariable} is not set: {HowTo}");
        }

        if (!File.Exists(path))
        {
            return new Probe(null, $"{KubeconfigVariable} names {path}, which does not exist: {HowTo}");
        }

        if (Kubectl.Find() is null)
        {
            return new Probe(null, "kubectl is not on PATH (the tests run it for exec and port-forward; set WEFT_TEST_KUBECTL to its path)");
        }

        try
        {
            using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            var version = client.Version.GetCodeAsync(deadline.Token).GetAwaiter().GetResult();
            var nodes = client.CoreV1.ListNodeAsync(cancellationToken: deadline.Token).GetAwaiter().GetResult();
            var ready = nodes.Items.Where(n => n.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true).ToList();
            string? imageReason = null;
            if (ready.Count == 0)
            {
                imageReason = $"no node of the cluster in {path} is Ready, so no pod can run";
            }
            else if (!ready.Any(n => n.Status.Images?.Any(i => i.Names?.Contains(WeftImage) == true) == true))
            {
                imageReason = $"no Ready node holds the image {WeftImage}: build it with `scripts/build-images.sh weft` and load it with "
                    + "`sudo scripts/test-cluster.sh load-images` (kind: `kind load image-archive /var/cache/weft-test-cluster/images/weft.tar`)";
            }

            return new Probe(path, null, version.GitVersion, imageReason);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new Probe(null, $"the cluster in {KubeconfigVariable}={path} does not answer ({e.GetType().Name}: {e.Message}): {HowTo}");
        }
    }

    private sealed record Probe(string? KubeconfigPath, string? SkipReason, string? ServerVersion = null, string? ImageSkipReason = null);

}

/// <summary>A test that needs a Kubernetes cluster; skipped with the reason where <see cref="TestCluster"/> has none.</summary>
public sealed class KubernetesFactAttribute : FactAttribute
{
    public KubernetesFactAttribute()
    {
        Skip = TestCluster.SkipReason;
    }

    /// <summary>The test runs pods from <see cref="TestCluster.WeftImage"/>: skipped where no node has it.</summary>
    public bool NeedsWeftImage
    {
        get => field;
        init
        {
            field = value;
            if (value)
            {
                Skip = TestCluster.WeftImageSkipReason;
            }
        }
    }
}
