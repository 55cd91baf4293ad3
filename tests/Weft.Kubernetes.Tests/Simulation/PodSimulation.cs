using System.Net;
using System.Text.Json.Nodes;
using Weft.Kubernetes.Api;
using Weft.Kubernetes.Install;
using Weft.Kubernetes.Tests.Cluster;

namespace Weft.Kubernetes.Tests.Simulation;

/// <summary>
/// A SIMULATION of pods for control-plane tests, on a real API server: the pods are real API
/// objects, but no kubelet runs them. The test's own Node object (no kubelet behind it) receives
/// them through pods/binding, and the test writes their status (phase, podIP, Ready) itself — so a
/// test decides exactly when a pod becomes Ready or stops being Ready. Nothing runs in them and no
/// traffic goes to their addresses. Everything is made in a namespace of the test's own, deleted
/// with the Node on dispose.
/// </summary>
public sealed class PodSimulation : IAsyncDisposable
{
    public const string SchedulerName = "weft-simulation";

    private int _nextAddress = 10;

    private PodSimulation(KubernetesConnection api, string @namespace, string node)
    {
        Api = api;
        Namespace = @namespace;
        NodeName = node;
    }

    public KubernetesConnection Api { get; }
    public string Namespace { get; }
    public string NodeName { get; }

    public static async Task<PodSimulation> StartAsync(string prefix)
    {
        var api = KubernetesConnection.FromKubeconfig(TestCluster.KubeconfigPath, null);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var simulation = new PodSimulation(api, $"{prefix}-{suffix}", $"weft-simulated-{suffix}");
        await EnsureMeshCrdsAsync(api);
        await api.SendAsync(HttpMethod.Post, "/api/v1/namespaces", new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = new JsonObject { ["name"] = simulation.Namespace, ["labels"] = new JsonObject { ["weft.dev/test"] = "simulation" } },
        }, CancellationToken.None);
        await api.SendAsync(HttpMethod.Post, "/api/v1/nodes", new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Node",
            ["metadata"] = new JsonObject { ["name"] = simulation.NodeName, ["labels"] = new JsonObject { ["weft.dev/test"] = "simulation" } },
            // No kubelet will ever run these pods.
            ["spec"] = new JsonObject { ["taints"] = new JsonArray(new JsonObject { ["key"] = "weft.dev/simulated", ["effect"] = "NoExecute" }) },
        }, CancellationToken.None);
        return simulation;
    }

    /// <summary>Creates the mesh kinds' CRDs that the cluster lacks and waits until they are served.</summary>
    public static async Task EnsureMeshCrdsAsync(KubernetesConnection api)
    {
        foreach (var crd in MeshCustomResources.All())
        {
            try
            {
                await api.SendAsync(HttpMethod.Post, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd, CancellationToken.None);
            }
            catch (KubernetesApiException e) when (e.Status == HttpStatusCode.Conflict)
            {
            }
        }

        foreach (var kind in ApiResource.MeshKinds)
        {
            await TestNamespace.Eventually(async () =>
            {
                try
                {
                    await api.GetAsync(kind.CollectionPath() + "?limit=1", CancellationToken.None);
                    return true;
                }
                catch (KubernetesApiException e) when (e.Status == HttpStatusCode.NotFound)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(30), $"{kind} to be served");
        }
    }

    public Task<JsonObject> CreateAsync(ApiResource kind, JsonObject body)
    {
        body["apiVersion"] = kind.ApiVersion;
        body["kind"] = kind.Kind;
        var metadata = body["metadata"] as JsonObject ?? throw new ArgumentException("metadata is required");
        metadata["namespace"] = Namespace;
        return Api.SendAsync(HttpMethod.Post, kind.CollectionPath(Namespace), body, CancellationToken.None);
    }

    public Task<JsonObject> MergePatchAsync(ApiResource kind, string name, JsonObject patch, string subresource = "") =>
        Api.SendAsync(HttpMethod.Patch, kind.ObjectPath(Namespace, name) + subresource, patch, CancellationToken.None, "application/merge-patch+json");

    public Task CreateServiceAccountAsync(string name) =>
        Api.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{Namespace}/serviceaccounts", new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ServiceAccount",
            ["metadata"] = new JsonObject { ["name"] = name },
        }, CancellationToken.None);

    /// <summary>A pod with Weft's proxy container (or without), bound to the simulated node, Running and Ready unless told otherwise.</summary>
    public async Task<SimulatedPod> StartPodAsync(string name, string serviceAccount, IReadOnlyDictionary<string, string> labels, int port, bool meshed = true, bool ready = true)
    {
        var containers = new JsonArray(new JsonObject
        {
            ["name"] = "app",
            ["image"] = "weft:dev",
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["containerPort"] = port }),
        });
        if (meshed)
        {
            containers.Add(new JsonObject { ["name"] = "weft-proxy", ["image"] = "weft:dev" });
        }

        var labelObject = new JsonObject();
        foreach (var (key, value) in labels)
        {
            labelObject[key] = value;
        }

        var created = await CreateAsync(ApiResource.Pods, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labelObject },
            ["spec"] = new JsonObject
            {
                ["schedulerName"] = SchedulerName,
                ["serviceAccountName"] = serviceAccount,
                ["automountServiceAccountToken"] = false,
                ["containers"] = containers,
                ["tolerations"] = new JsonArray(new JsonObject { ["key"] = "weft.dev/simulated", ["operator"] = "Exists" }),
            },
        });
        await Api.SendAsync(HttpMethod.Post, ApiResource.Pods.ObjectPath(Namespace, name) + "/binding", new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Binding",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["target"] = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["name"] = NodeName },
        }, CancellationToken.None);
        var pod = new SimulatedPod(this, name, ApiObjectsUid(created), $"127.0.1.{Interlocked.Increment(ref _nextAddress)}");
        await pod.SetReadyAsync(ready);
        return pod;
    }

    private static string ApiObjectsUid(JsonObject created) => created["metadata"]!["uid"]!.GetValue<string>();

    /// <summary>A projected service-account token for <paramref name="serviceAccount"/> (TokenRequest), bound to a pod when named.</summary>
    public async Task<string> RequestTokenAsync(string serviceAccount, string audience, SimulatedPod? boundTo = null)
    {
        var spec = new JsonObject { ["audiences"] = new JsonArray(audience), ["expirationSeconds"] = 600 };
        if (boundTo is not null)
        {
            spec["boundObjectRef"] = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["name"] = boundTo.Name, ["uid"] = boundTo.Uid };
        }

        var answer = await Api.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{Namespace}/serviceaccounts/{serviceAccount}/token", new JsonObject
        {
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["kind"] = "TokenRequest",
            ["spec"] = spec,
        }, CancellationToken.None);
        return answer["status"]!["token"]!.GetValue<string>();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var path in new[] { $"/api/v1/namespaces/{Namespace}", $"/api/v1/nodes/{NodeName}" })
        {
            try
            {
                await Api.SendAsync(HttpMethod.Delete, path, null, CancellationToken.None);
            }
            catch (KubernetesApiException e) when (e.Status == HttpStatusCode.NotFound)
            {
            }
        }

        Api.Dispose();
    }
}

public sealed class SimulatedPod(PodSimulation simulation, string name, string uid, string address)
{
    public string Name => name;
    public string Uid => uid;
    public string Address => address;

    /// <summary>Writes the status a kubelet would: Running at its address, Ready or not.</summary>
    public Task SetReadyAsync(bool ready)
    {
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        JsonObject Condition(string type, bool status) => new() { ["type"] = type, ["status"] = status ? "True" : "False", ["lastTransitionTime"] = now };
        return simulation.MergePatchAsync(ApiResource.Pods, name, new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["phase"] = "Running",
                ["podIP"] = address,
                ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = address }),
                ["hostIP"] = "127.0.1.1",
                ["conditions"] = new JsonArray(Condition("PodScheduled", true), Condition("Initialized", true), Condition("ContainersReady", ready), Condition("Ready", ready)),
            },
        }, "/status");
    }
}
