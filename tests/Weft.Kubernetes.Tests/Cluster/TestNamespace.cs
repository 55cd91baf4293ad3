using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Weft.Kubernetes.Tests.Cluster;

/// <summary>
/// A namespace of the test cluster made for one test class (a class fixture) and deleted after it,
/// with the helpers tests need to run pods in it. Named weft-test-PREFIX-RANDOM, labelled
/// weft.dev/test=true, so what a crashed run left behind is easy to find and remove.
/// </summary>
public class TestNamespace(string prefix) : IAsyncLifetime
{
    public static readonly TimeSpan PodReadyTimeout = TimeSpan.FromSeconds(90);

    public TestNamespace()
        : this("t")
    {
    }

    public string Name { get; } = $"weft-test-{prefix}-{Guid.NewGuid().ToString("N")[..6]}";

    public IKubernetes Client { get; private set; } = null!;

    public Kubectl Kubectl { get; private set; } = null!;

    /// <summary>Whether the cluster is there (else the fixture does nothing and the tests are skipped).</summary>
    public bool Available => TestCluster.SkipReason is null;

    public async Task InitializeAsync()
    {
        if (!Available)
        {
            return;
        }

        Client = TestCluster.CreateClient();
        Kubectl = TestCluster.Kubectl;
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace
        {
            Metadata = new V1ObjectMeta { Name = Name, Labels = new Dictionary<string, string> { ["weft.dev/test"] = "true" } },
        });
        // The namespace's ServiceAccount is made by the controller manager shortly after; pods need it.
        await Eventually(async () => await Client.CoreV1.ListNamespacedServiceAccountAsync(Name) is { Items.Count: > 0 }, TimeSpan.FromSeconds(30), "the default ServiceAccount");
        await SetUpAsync();
    }

    /// <summary>What a derived fixture creates in the namespace (pods, services) before its tests run.</summary>
    protected virtual Task SetUpAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (Client is null)
        {
            return;
        }

        try
        {
            // Not waited for: the namespace controller removes what is in it in the background.
            await Client.CoreV1.DeleteNamespaceAsync(Name, new V1DeleteOptions { PropagationPolicy = "Background" });
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }

        Client.Dispose();
    }

    /// <summary>Creates objects from YAML manifests (one or more documents) in this namespace.</summary>
    public Task ApplyAsync(string manifests) => Kubectl.ApplyAsync(manifests, Name);

    /// <summary>Waits until the pod's Ready condition is True; fails early when a container cannot start, with its state and events.</summary>
    public async Task<V1Pod> WaitForPodReadyAsync(string pod, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? PodReadyTimeout);
        while (true)
        {
            var current = await Client.CoreV1.ReadNamespacedPodAsync(pod, Name);
            if (current.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true)
            {
                return current;
            }

            var stuck = (current.Status?.ContainerStatuses ?? []).Concat(current.Status?.InitContainerStatuses ?? [])
                .Select(s => s.State?.Waiting?.Reason)
                .FirstOrDefault(r => r is "ErrImageNeverPull" or "ImagePullBackOff" or "ErrImagePull" or "CrashLoopBackOff" or "CreateContainerConfigError" or "CreateContainerError" or "InvalidImageName");
            if (stuck is not null || current.Status?.Phase is "Failed" || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"pod {Name}/{pod} is not Ready ({stuck ?? current.Status?.Phase ?? "no status"}):\n{await DescribeAsync(pod)}");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>Waits until the pod reaches <paramref name="phase"/> (Succeeded for a Job's pod).</summary>
    public async Task<V1Pod> WaitForPodPhaseAsync(string pod, string phase, TimeSpan? timeout = null)
    {
        V1Pod current = null!;
        await Eventually(async () => (current = await Client.CoreV1.ReadNamespacedPodAsync(pod, Name)).Status?.Phase == phase, timeout ?? PodReadyTimeout, $"pod {pod} {phase}");
        return current;
    }

    /// <summary>The pod's status, each container's state and last lines of log, and the namespace's events: what a failing test should print.</summary>
    public async Task<string> DescribeAsync(string pod)
    {
        var described = await Kubectl.RunAsync("describe", "pod", "-n", Name, pod);
        var logs = await Kubectl.RunAsync("logs", "-n", Name, pod, "--all-containers", "--tail=20");
        return $"{described.Output}{described.Error}\n--- logs ---\n{logs.Output}{logs.Error}";
    }

    /// <summary>Runs a command in a container of the pod (kubectl exec), returning its exit code and output.</summary>
    public Task<KubectlResult> ExecAsync(string pod, string? container, params string[] command)
    {
        List<string> arguments = ["exec", "-n", Name, pod];
        if (container is not null)
        {
            arguments.AddRange(["-c", container]);
        }

        arguments.Add("--");
        arguments.AddRange(command);
        return Kubectl.RunAsync(arguments);
    }

    /// <summary>
    /// GET through the API server's pods/proxy subresource to a port of the pod (what a CLI outside the
    /// pod network can reach): the status and body of the pod's own response.
    /// </summary>
    public async Task<(HttpStatusCode Status, string Body)> ProxyGetAsync(string pod, int port, string pathAndQuery, CancellationToken cancellation = default)
    {
        try
        {
            // The client puts the path (and its query) into the URL as given, unescaped.
            using var response = await Client.CoreV1.ConnectGetNamespacedPodProxyWithPathWithHttpMessagesAsync(
                $"{pod}:{port}", Name, pathAndQuery.TrimStart('/'), cancellationToken: cancellation);
            using var reader = new StreamReader(response.Body);
            return (response.Response.StatusCode, await reader.ReadToEndAsync(cancellation));
        }
        catch (HttpOperationException e)
        {
            return (e.Response.StatusCode, e.Response.Content);
        }
    }

    /// <summary>Forwards a local port on 127.0.0.1 to the pod's port (kubectl port-forward) until disposed.</summary>
    public Task<PortForward> PortForwardAsync(string pod, int port) => PortForward.StartAsync(Kubectl, Name, pod, port);

    /// <summary>Polls <paramref name="condition"/> until it holds, failing with <paramref name="what"/> at the deadline.</summary>
    public static Task Eventually(Func<Task<bool>> condition, TimeSpan timeout, string what) => Eventually(condition, timeout, () => what);

    /// <summary>As above, with the failure's text made at the deadline (so it can tell the last thing seen).</summary>
    public static async Task Eventually(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what()}: not within {timeout.TotalSeconds} s");
            }

            await Task.Delay(250);
        }
    }
}
