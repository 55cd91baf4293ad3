using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.ControlPlane.Hosting;
using Weft.Kubernetes.Api;
using Weft.Kubernetes.Hosting;
using Weft.Kubernetes.Sources;
using Weft.Kubernetes.Tests.Cluster;
using Weft.Kubernetes.Tests.Simulation;
using Weft.Protocol.Identity;
using Weft.Protocol.V1;

namespace Weft.Kubernetes.Tests;

/// <summary>
/// The control plane against a real API server, with pods SIMULATED (see <see cref="PodSimulation"/>):
/// config from the cluster's objects, endpoints following readiness, refused objects, and identity
/// proven with service-account tokens checked by TokenReview.
/// </summary>
public sealed class ControlPlaneSimulationTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [KubernetesFact]
    public async Task Endpoints_follow_pod_readiness_and_a_refused_object_keeps_its_last_good_version()
    {
        await using var cluster = await PodSimulation.StartAsync("weft-sim-config");
        await cluster.CreateServiceAccountAsync("checkout");
        await cluster.CreateServiceAccountAsync("payments");
        await cluster.CreateAsync(ApiResource.Services, Service("payments", 9080));
        await cluster.CreateAsync(ApiResource.DestinationRules, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "payments" },
            ["spec"] = JsonNode.Parse("""{"host": "payments", "subsets": [{"name": "v1", "labels": {"version": "v1"}}, {"name": "v2", "labels": {"version": "v2"}}]}"""),
        });
        await cluster.CreateAsync(ApiResource.VirtualServices, Split("split", 90, 10));
        await cluster.StartPodAsync("checkout-0", "checkout", new Dictionary<string, string> { ["app"] = "checkout" }, 8080);
        var v1 = await cluster.StartPodAsync("payments-v1-0", "payments", new Dictionary<string, string> { ["app"] = "payments", ["version"] = "v1" }, 9080);
        await cluster.StartPodAsync("payments-v2-0", "payments", new Dictionary<string, string> { ["app"] = "payments", ["version"] = "v2" }, 9080, ready: false);

        await using var controlPlane = await StartControlPlaneAsync(cluster);
        var state = controlPlane.Host.State;
        var checkout = $"{cluster.Namespace}/checkout-0";
        var fqdn = $"payments.{cluster.Namespace}.svc.cluster.local";

        // The VirtualService's split reaches checkout's proxy; only the Ready pod is an endpoint.
        await Poll.UntilAsync(() => Weights(state, checkout, fqdn) == "90,10", Deadline, "the 90/10 split in checkout's config");
        Assert.Equal([$"{v1.Address}:9080"], Endpoints(state, checkout, $"outbound|9080|v1|{fqdn}"));
        Assert.Empty(Endpoints(state, checkout, $"outbound|9080|v2|{fqdn}"));

        var v2Pod = await cluster.Api.GetAsync(ApiResource.Pods.ObjectPath(cluster.Namespace, "payments-v2-0"), CancellationToken.None);
        var v2Address = v2Pod["status"]!["podIP"]!.GetValue<string>();
        await new SimulatedPod(cluster, "payments-v2-0", "", v2Address).SetReadyAsync(true);
        await Poll.UntilAsync(() => Endpoints(state, checkout, $"outbound|9080|v2|{fqdn}").SequenceEqual([$"{v2Address}:9080"]), Deadline, "payments-v2 to join once Ready");
        await v1.SetReadyAsync(false);
        await Poll.UntilAsync(() => Endpoints(state, checkout, $"outbound|9080|v1|{fqdn}").Count == 0, Deadline, "payments-v1 to leave once not Ready");

        // An edit that fails validation is refused; the split in force stays 90/10.
        await cluster.MergePatchAsync(ApiResource.VirtualServices, "split", new JsonObject
        {
            ["spec"] = JsonNode.Parse("""{"http": [{"route": [{"destination": {"host": "payments", "subset": "v1"}, "weight": 90}, {"destination": {"host": "payments", "subset": "v2"}, "weight": 20}]}]}"""),
        });
        var reference = $"VirtualService {cluster.Namespace}/split";
        await Poll.UntilAsync(() => controlPlane.Host.Status.Report().ControlPlane.RefusedResources.Any(r => r.Contains(reference, StringComparison.Ordinal)), Deadline, "the status to list the refused VirtualService");
        var refused = controlPlane.Host.Status.Report().ControlPlane.RefusedResources.Single(r => r.Contains(reference, StringComparison.Ordinal));
        Assert.Contains("spec.http[0].route", refused, StringComparison.Ordinal);
        Assert.Contains("100", refused, StringComparison.Ordinal);
        Assert.Equal("90,10", Weights(state, checkout, fqdn));

        // …and a Warning Event on the object says why, in the loader's words.
        JsonObject? warning = null;
        await TestNamespace.Eventually(async () =>
        {
            var events = await cluster.Api.GetAsync($"/api/v1/namespaces/{cluster.Namespace}/events?fieldSelector=involvedObject.name=split", CancellationToken.None);
            warning = (events["items"] as JsonArray)!.OfType<JsonObject>().FirstOrDefault(e => e["reason"]?.GetValue<string>() == KubernetesConfigSource.RefusedReason);
            return warning is not null;
        }, Deadline, "a Warning Event on the VirtualService");
        Assert.Equal("Warning", warning!["type"]!.GetValue<string>());
        Assert.Equal("VirtualService", warning["involvedObject"]!["kind"]!.GetValue<string>());
        Assert.Contains("spec.http[0].route", warning["message"]!.GetValue<string>(), StringComparison.Ordinal);

        // A valid edit is taken again and clears the refusal.
        await cluster.MergePatchAsync(ApiResource.VirtualServices, "split", new JsonObject { ["spec"] = Split("split", 50, 50)["spec"]!.DeepClone() });
        await Poll.UntilAsync(() => Weights(state, checkout, fqdn) == "50,50", Deadline, "the 50/50 split");
        Assert.Empty(controlPlane.Host.Status.Report().ControlPlane.RefusedResources);
    }

    [KubernetesFact]
    public async Task A_sidecar_gets_the_certificate_of_its_pods_service_account_and_no_other()
    {
        await using var cluster = await PodSimulation.StartAsync("weft-sim-identity");
        await cluster.CreateServiceAccountAsync("checkout");
        await cluster.CreateServiceAccountAsync("payments");
        var checkout = await cluster.StartPodAsync("checkout-0", "checkout", new Dictionary<string, string> { ["app"] = "checkout" }, 8080);
        var payments = await cluster.StartPodAsync("payments-0", "payments", new Dictionary<string, string> { ["app"] = "payments" }, 9080);
        await using var controlPlane = await StartControlPlaneAsync(cluster);
        await Poll.UntilAsync(() => controlPlane.Registry.Instances.Count == 2, Deadline, "both pods in the registry");

        var checkoutToken = await cluster.RequestTokenAsync("checkout", "weft", boundTo: checkout);
        using var leaf = await SignAsync(controlPlane, cluster.Namespace, checkout.Name, checkoutToken);
        Assert.Equal($"spiffe://cluster.local/ns/{cluster.Namespace}/sa/checkout", CertificateIdentity.GetSpiffeUri(leaf));

        // checkout's token cannot get payments' certificate, whichever pod it names.
        var refused = await Assert.ThrowsAsync<RpcException>(() => SignAsync(controlPlane, cluster.Namespace, payments.Name, checkoutToken));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        var unbound = await cluster.RequestTokenAsync("checkout", "weft");
        refused = await Assert.ThrowsAsync<RpcException>(() => SignAsync(controlPlane, cluster.Namespace, payments.Name, unbound));
        Assert.Contains("runs as service account payments", refused.Status.Detail, StringComparison.Ordinal);

        // A token for another audience (the API server's own) is not a Weft credential.
        var apiServerToken = await cluster.RequestTokenAsync("checkout", "https://kubernetes.default.svc.cluster.local", boundTo: checkout);
        refused = await Assert.ThrowsAsync<RpcException>(() => SignAsync(controlPlane, cluster.Namespace, checkout.Name, apiServerToken));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }

    [KubernetesFact]
    public async Task A_restarted_control_plane_signs_with_the_root_kept_in_the_Secret_and_rotation_steps_reach_it()
    {
        await using var cluster = await PodSimulation.StartAsync("weft-sim-root");
        string firstRoot;
        await using (var first = await StartControlPlaneAsync(cluster, rootSecret: true))
        {
            firstRoot = first.Host.Authority.RootPem;
            Assert.Equal(firstRoot, await SecretFileAsync(cluster, "root-cert.pem"));

            // A rotation's first step (the next root joins the bundle) is copied to the Secret.
            var next = first.Host.Authority.AddNextRoot();
            await TestNamespace.Eventually(async () => await SecretFileAsync(cluster, "next-root-cert.pem") == next.ExportCertificatePem(), Deadline, "the next root in the Secret");
        }

        // A new control plane with an empty state directory (a new pod) has the same roots.
        await using var second = await StartControlPlaneAsync(cluster, rootSecret: true);
        Assert.Equal(firstRoot, second.Host.Authority.RootPem);
        Assert.Equal(2, second.Host.Authority.TrustBundle.Count);
    }

    private static async Task<string?> SecretFileAsync(PodSimulation cluster, string file)
    {
        var secret = await cluster.Api.GetAsync($"/api/v1/namespaces/{cluster.Namespace}/secrets/{Identity.RootSecret.DefaultName}", CancellationToken.None);
        return secret["data"]?[file]?.GetValue<string>() is { } base64 ? System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(base64)) : null;
    }

    private static async Task<KubernetesControlPlane> StartControlPlaneAsync(PodSimulation cluster, bool rootSecret = false) =>
        await KubernetesControlPlane.StartAsync(cluster.Api, new KubernetesControlPlaneOptions
        {
            ControlPlane = new ControlPlaneOptions { StateDirectory = Directory.CreateTempSubdirectory("weft-k8s-cp-").FullName },
            Namespaces = [cluster.Namespace],
            RootSecret = rootSecret ? (cluster.Namespace, Identity.RootSecret.DefaultName) : null,
        }, NullLoggerFactory.Instance, CancellationToken.None);

    private static async Task<X509Certificate2> SignAsync(KubernetesControlPlane controlPlane, string ns, string pod, string token)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(controlPlane.Host.Authority.Root);
        using var channel = GrpcChannel.ForAddress(controlPlane.Host.DiscoveryAddress, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy } },
        });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // The CSR asks for an identity; the control plane decides which one the certificate carries.
        var response = await new Protocol.V1.CertificateAuthority.CertificateAuthorityClient(channel).SignAsync(new SignRequest
        {
            Node = new Node { Workload = pod, Namespace = ns, BootstrapToken = token },
            CsrPem = WorkloadCsr.CreatePem(key, new SpiffeId("cluster.local", ns, "checkout")),
        });
        return X509Certificate2.CreateFromPem(response.CertificateChainPem[0]);
    }

    private static JsonObject Service(string name, int port) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["selector"] = new JsonObject { ["app"] = name },
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = port }),
        },
    };

    private static JsonObject Split(string name, int v1, int v2) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = JsonNode.Parse($$"""{"hosts": ["payments"], "http": [{"route": [{"destination": {"host": "payments", "subset": "v1"}, "weight": {{v1}}}, {"destination": {"host": "payments", "subset": "v2"}, "weight": {{v2}}}]}]}"""),
    };

    private static ProxyConfig? Config(Weft.ControlPlane.State.MeshState state, string proxy) => state.Current?.Proxies.GetValueOrDefault(proxy);

    private static string? Weights(Weft.ControlPlane.State.MeshState state, string proxy, string fqdn)
    {
        var host = Config(state, proxy)?.Outbound.FirstOrDefault(h => h.ServiceFqdn == fqdn);
        return host is null ? null : string.Join(",", host.Routes[0].Destinations.Select(d => d.Weight));
    }

    private static List<string> Endpoints(Weft.ControlPlane.State.MeshState state, string proxy, string cluster) =>
        Config(state, proxy)?.Clusters.FirstOrDefault(c => c.Name == cluster)?.Endpoints.Select(e => e.Address).ToList() ?? [];
}
