using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.ControlPlane.Hosting;
using Weft.Kubernetes.Admission;
using Weft.Kubernetes.Api;
using Weft.Kubernetes.Hosting;
using Weft.Kubernetes.Injection;
using Weft.Kubernetes.Tests.Cluster;
using Weft.Protocol.Identity;

namespace Weft.Kubernetes.Tests;

/// <summary>
/// Real pods on the real kubelet: the control plane runs in this test process on an address pods
/// reach (the API server's, a host address on the test cluster); the API server sends the pods
/// through its injection webhook; each sidecar proves its pod's service account with a projected
/// token, gets its certificate and config, and one app calls the other through both sidecars.
/// </summary>
public sealed class MeshedPodTests
{
    [KubernetesFact(NeedsWeftImage = true)]
    public async Task Injected_pods_become_ready_with_their_sidecars_and_call_each_other_over_mTLS()
    {
        var hostAddress = HostAddress();
        var ns = new TestNamespace("mesh");
        await ns.InitializeAsync();
        try
        {
            using var api = KubernetesConnection.FromKubeconfig(TestCluster.KubeconfigPath, null);
            await using var controlPlane = await KubernetesControlPlane.StartAsync(api, new KubernetesControlPlaneOptions
            {
                ControlPlane = new ControlPlaneOptions { StateDirectory = Directory.CreateTempSubdirectory("weft-k8s-mesh-").FullName, DiscoveryListenAddress = hostAddress },
                Namespaces = [ns.Name],
            }, NullLoggerFactory.Instance, CancellationToken.None);
            var host = controlPlane.Host;
            var version = await ServerVersion.GetAsync(api, CancellationToken.None);
            using var certificate = host.Authority.IssueServingCertificate(new SpiffeId("cluster.local", "weft-system", "weft-control-plane"), ["localhost"], [IPAddress.Loopback, hostAddress]);
            await using var admission = await AdmissionServer.StartAsync(hostAddress, 0, certificate, NullLoggerFactory.Instance, CancellationToken.None, new InjectionSettings
            {
                ControlPlaneAddress = host.DiscoveryAddress,
                ControlPlaneRootPem = host.Authority.RootPem,
                Image = TestCluster.WeftImage,
                NativeSidecars = version.NativeSidecars,
            });
            var webhook = $"weft-injection-{ns.Name}";
            var scope = new JsonObject { ["matchLabels"] = new JsonObject { ["weft.dev/test-namespace"] = ns.Name } };
            await api.SendAsync(HttpMethod.Patch, $"/api/v1/namespaces/{ns.Name}", new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["weft.dev/test-namespace"] = ns.Name, ["weft.dev/inject"] = "enabled" } },
            }, CancellationToken.None, "application/merge-patch+json");
            await api.SendAsync(HttpMethod.Post, "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
                WebhookConfigurations.Mutating(WebhookEndpoint.At($"https://{hostAddress}:{admission.Port}"), host.Authority.RootPem, scope, webhook), CancellationToken.None);
            try
            {
                // The API server takes a new webhook configuration within a moment; the pods come after it.
                await Task.Delay(TimeSpan.FromSeconds(2));
                await ns.ApplyAsync(Manifests());
                var payments = await ns.WaitForPodReadyAsync("payments");
                var checkout = await ns.WaitForPodReadyAsync("checkout");

                foreach (var pod in new[] { payments, checkout })
                {
                    var statuses = pod.Status.ContainerStatuses.Concat(pod.Status.InitContainerStatuses ?? []).ToList();
                    Assert.True(statuses.Exists(s => s.Name == "weft-proxy" && s.Ready), $"{pod.Metadata.Name}'s weft-proxy is ready");
                    Assert.True(statuses.Exists(s => s.Name == "app" && s.Ready), $"{pod.Metadata.Name}'s app is ready");
                    var tracked = host.Tracker.Find($"{ns.Name}/{pod.Metadata.Name}");
                    Assert.True(tracked is { Connected: true, CertificateExpiry: not null }, $"{pod.Metadata.Name}'s sidecar is connected with a certificate");
                }

                // checkout's app calls payments by its Service name; both sidecars are in the path, and payments sees checkout's SPIFFE identity.
                JsonElement reply = default;
                var last = "";
                await TestNamespace.Eventually(async () =>
                {
                    var (status, body) = await ns.ProxyGetAsync("checkout", 9080, "/call?url=" + Uri.EscapeDataString($"http://payments.{ns.Name}.svc.cluster.local/charge"));
                    last = $"{status}: {body}";
                    if (status != HttpStatusCode.OK)
                    {
                        return false;
                    }

                    reply = JsonDocument.Parse(body).RootElement.Clone();
                    return true;
                }, TimeSpan.FromSeconds(30), () => $"checkout -> payments (last answer {last})");
                Assert.Equal("payments", reply.GetProperty("service").GetString());
                Assert.Contains($"URI=spiffe://cluster.local/ns/{ns.Name}/sa/checkout", reply.GetProperty("caller").GetString(), StringComparison.Ordinal);
            }
            finally
            {
                await api.SendAsync(HttpMethod.Delete, $"/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/{webhook}", null, CancellationToken.None);
            }
        }
        finally
        {
            await ns.DisposeAsync();
        }
    }

    /// <summary>The address the API server listens on: on the test cluster, a host address pods reach too.</summary>
    private static IPAddress HostAddress()
    {
        var server = new Uri(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(TestCluster.KubeconfigPath).Host);
        return IPAddress.TryParse(server.Host, out var address) && !IPAddress.IsLoopback(address)
            ? address
            : throw new InvalidOperationException($"the API server at {server} is not at a non-loopback IP address, so pods cannot reach a control plane on this host");
    }

    private static string Manifests() => """
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: payments}
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: checkout}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: payments}
        spec:
          selector: {app: payments}
          ports: [{name: http, port: 80, targetPort: 9080}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: payments, labels: {app: payments, version: v1}}
        spec:
          serviceAccountName: payments
          containers:
          - {name: app, image: $IMAGE, args: [demo-app, --service, payments, --version, v1, --port, "9080"], env: [{name: WEFT_POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}], ports: [{name: http, containerPort: 9080}], readinessProbe: {httpGet: {path: /demo/stats, port: 9080}, periodSeconds: 1}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: checkout, labels: {app: checkout}}
        spec:
          serviceAccountName: checkout
          containers:
          - {name: app, image: $IMAGE, args: [demo-app, --service, checkout, --port, "9080"], env: [{name: WEFT_POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}], ports: [{name: http, containerPort: 9080}], readinessProbe: {httpGet: {path: /demo/stats, port: 9080}, periodSeconds: 1}}
        """.Replace("$IMAGE", TestCluster.WeftImage, StringComparison.Ordinal);
}
