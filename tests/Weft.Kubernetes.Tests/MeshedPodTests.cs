using System.Net;
using k8s;
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
    public async Task The_payments_mesh_on_real_pods_splits_over_mTLS_denies_fraud_refuses_plaintext_and_invalid_config()
    {
        await using var mesh = await InjectedNamespace.StartAsync("mesh");
        await mesh.Namespace.ApplyAsync(Manifests().Replace("$NS", mesh.Namespace.Name, StringComparison.Ordinal));
        foreach (var name in new[] { "payments-v1", "payments-v2", "checkout", "fraud" })
        {
            var pod = await mesh.Namespace.WaitForPodReadyAsync(name);
            var statuses = pod.Status.ContainerStatuses.Concat(pod.Status.InitContainerStatuses ?? []).ToList();
            Assert.True(statuses.Exists(s => s.Name == "weft-proxy" && s.Ready) && statuses.Exists(s => s.Name == "app" && s.Ready), $"{name}: app and sidecar ready");
            var tracked = mesh.Host.Tracker.Find($"{mesh.Namespace.Name}/{name}");
            Assert.True(tracked is { Connected: true, CertificateExpiry: not null }, $"{name}'s sidecar is connected with a certificate");
        }

        var legacy = await mesh.Namespace.WaitForPodReadyAsync("legacy");
        Assert.DoesNotContain(legacy.Spec.Containers, c => c.Name == "weft-proxy");

        var url = $"http://payments.{mesh.Namespace.Name}.svc.cluster.local/charge";
        await TestNamespace.Eventually(async () => (await CallAsync(mesh.Namespace, "checkout", url)).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "checkout -> payments");

        // 90/10 over mTLS, checkout's SPIFFE identity seen by payments.
        const int Calls = 200;
        var v2 = 0;
        for (var i = 0; i < Calls; i++)
        {
            var (status, body) = await CallAsync(mesh.Namespace, "checkout", url);
            Assert.True(status == HttpStatusCode.OK, $"call {i}: {status} {body}");
            var reply = JsonDocument.Parse(body).RootElement;
            Assert.Contains($"URI=spiffe://cluster.local/ns/{mesh.Namespace.Name}/sa/checkout", reply.GetProperty("caller").GetString(), StringComparison.Ordinal);
            v2 += reply.GetProperty("version").GetString() == "v2" ? 1 : 0;
        }

        Assert.InRange(v2 * 100.0 / Calls, 5, 15);

        // fraud's identity is not the one the AuthorizationPolicy allows.
        var (fraudStatus, fraudBody) = await CallAsync(mesh.Namespace, "fraud", url);
        Assert.Equal(HttpStatusCode.Forbidden, fraudStatus);
        Assert.Contains("authz-denied", fraudBody, StringComparison.Ordinal);
        Assert.Contains($"{mesh.Namespace.Name}/only-checkout", fraudBody, StringComparison.Ordinal);

        // The un-injected pod's plaintext call is refused by STRICT.
        var (plainStatus, plainBody) = await CallAsync(mesh.Namespace, "legacy", url);
        Assert.Equal(HttpStatusCode.Forbidden, plainStatus);
        Assert.Contains("mtls-required", plainBody, StringComparison.Ordinal);

        // kubectl apply of an invalid VirtualService is refused with the field and reason.
        var refused = await mesh.Namespace.Kubectl.RunAsync(["apply", "-n", mesh.Namespace.Name, "-f", "-"], input: """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: payments}
            spec:
              hosts: [payments]
              http:
              - route:
                - {destination: {host: payments, subset: v1}, weight: 90}
                - {destination: {host: payments, subset: v2}, weight: 20}
            """);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("validation.weft.dev", refused.Error, StringComparison.Ordinal);
        Assert.Contains("spec.http[0].route", refused.Error, StringComparison.Ordinal);
    }

    /// <summary>
    /// A namespace of the test cluster whose pods Weft injects: the control plane in this process on
    /// an address pods reach, and both webhooks, scoped to the namespace, served next to it.
    /// </summary>
    private sealed class InjectedNamespace : IAsyncDisposable
    {
        private readonly List<string> _webhooks = [];
        private readonly List<IAsyncDisposable> _owned = [];
        private System.Security.Cryptography.X509Certificates.X509Certificate2? _certificate;

        private InjectedNamespace(TestNamespace ns, KubernetesConnection api)
        {
            Namespace = ns;
            Api = api;
        }

        public TestNamespace Namespace { get; }
        public KubernetesConnection Api { get; }
        public ControlPlaneHost Host { get; private set; } = null!;

        public static async Task<InjectedNamespace> StartAsync(string prefix)
        {
            var hostAddress = HostAddress();
            var ns = new TestNamespace(prefix);
            await ns.InitializeAsync();
            var mesh = new InjectedNamespace(ns, KubernetesConnection.FromKubeconfig(TestCluster.KubeconfigPath, null));
            try
            {
                await mesh.StartAsync(hostAddress);
                return mesh;
            }
            catch
            {
                await mesh.DisposeAsync();
                throw;
            }
        }

        private async Task StartAsync(IPAddress hostAddress)
        {
            var api = Api;
            var ns = Namespace;
            await Simulation.PodSimulation.EnsureMeshCrdsAsync(api);
            var controlPlane = await KubernetesControlPlane.StartAsync(api, new KubernetesControlPlaneOptions
            {
                ControlPlane = new ControlPlaneOptions { StateDirectory = Directory.CreateTempSubdirectory("weft-k8s-mesh-").FullName, DiscoveryListenAddress = hostAddress },
                Namespaces = [ns.Name],
            }, NullLoggerFactory.Instance, CancellationToken.None);
            _owned.Add(controlPlane);
            Host = controlPlane.Host;
            var version = await ServerVersion.GetAsync(api, CancellationToken.None);
            // Kestrel serves with it for as long as the webhooks live.
            var certificate = Host.Authority.IssueServingCertificate(new SpiffeId("cluster.local", "weft-system", "weft-control-plane"), ["localhost"], [IPAddress.Loopback, hostAddress]);
            var admission = await AdmissionServer.StartAsync(hostAddress, 0, certificate, NullLoggerFactory.Instance, CancellationToken.None, new InjectionSettings
            {
                ControlPlaneAddress = Host.DiscoveryAddress,
                ControlPlaneRootPem = Host.Authority.RootPem,
                Image = TestCluster.WeftImage,
                NativeSidecars = version.NativeSidecars,
            });
            _owned.Add(admission);
            _certificate = certificate;

            // Both webhooks see only this test's namespace.
            var scope = new JsonObject { ["matchLabels"] = new JsonObject { ["weft.dev/test-namespace"] = ns.Name } };
            await api.SendAsync(HttpMethod.Patch, $"/api/v1/namespaces/{ns.Name}", new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["weft.dev/test-namespace"] = ns.Name, ["weft.dev/inject"] = "enabled" } },
            }, CancellationToken.None, "application/merge-patch+json");
            var endpoint = WebhookEndpoint.At($"https://{hostAddress}:{admission.Port}");
            const string Registration = "/apis/admissionregistration.k8s.io/v1";
            await api.SendAsync(HttpMethod.Post, $"{Registration}/mutatingwebhookconfigurations",
                WebhookConfigurations.Mutating(endpoint, Host.Authority.RootPem, scope, $"weft-injection-{ns.Name}"), CancellationToken.None);
            _webhooks.Add($"{Registration}/mutatingwebhookconfigurations/weft-injection-{ns.Name}");
            await api.SendAsync(HttpMethod.Post, $"{Registration}/validatingwebhookconfigurations",
                WebhookConfigurations.Validating(endpoint, Host.Authority.RootPem, scope, $"weft-validation-{ns.Name}"), CancellationToken.None);
            _webhooks.Add($"{Registration}/validatingwebhookconfigurations/weft-validation-{ns.Name}");

            // The API server takes new webhook configurations within a moment; the pods come after them.
            await Task.Delay(TimeSpan.FromSeconds(2));
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var webhook in _webhooks)
            {
                await Api.SendAsync(HttpMethod.Delete, webhook, null, CancellationToken.None);
            }

            foreach (var owned in Enumerable.Reverse(_owned))
            {
                await owned.DisposeAsync();
            }

            _certificate?.Dispose();
            await Namespace.DisposeAsync();
            Api.Dispose();
        }
    }

    /// <summary>The pod's app calls <paramref name="url"/> (the demo app's /call), reached through the API server's pods/proxy.</summary>
    private static Task<(HttpStatusCode Status, string Body)> CallAsync(TestNamespace ns, string pod, string url) =>
        ns.ProxyGetAsync(pod, 9080, "/call?url=" + Uri.EscapeDataString(url));

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
        kind: ServiceAccount
        metadata: {name: fraud}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: payments}
        spec:
          selector: {app: payments}
          ports: [{name: http, port: 80, targetPort: 9080}]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: payments}
        spec:
          host: payments
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: payments}
        spec:
          hosts: [payments]
          http:
          - route:
            - {destination: {host: payments, subset: v1}, weight: 90}
            - {destination: {host: payments, subset: v2}, weight: 10}
        ---
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: payments-strict}
        spec:
          selector: {matchLabels: {app: payments}}
          mtls: {mode: STRICT}
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: only-checkout}
        spec:
          selector: {matchLabels: {app: payments}}
          action: ALLOW
          rules:
          - from: [{source: {principals: [cluster.local/ns/$NS/sa/checkout]}}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: payments-v1, labels: {app: payments, version: v1}}
        spec:
          serviceAccountName: payments
          containers:
          - {name: app, image: $IMAGE, args: [demo-app, --service, payments, --version, v1, --port, "9080"], env: [{name: WEFT_POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}], ports: [{name: http, containerPort: 9080}], readinessProbe: {httpGet: {path: /demo/stats, port: 9080}, periodSeconds: 1}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: payments-v2, labels: {app: payments, version: v2}}
        spec:
          serviceAccountName: payments
          containers:
          - {name: app, image: $IMAGE, args: [demo-app, --service, payments, --version, v2, --port, "9080"], env: [{name: WEFT_POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}], ports: [{name: http, containerPort: 9080}], readinessProbe: {httpGet: {path: /demo/stats, port: 9080}, periodSeconds: 1}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: checkout, labels: {app: checkout}}
        spec:
          serviceAccountName: checkout
          containers:
          - {name: app, image: $IMAGE, args: [demo-app, --service, checkout, --port, "9080"], env: [{name: WEFT_POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}], ports: [{name: http, containerPort: 9080}], readinessProbe: {httpGet: {path: /demo/stats, port: 9080}, periodSeconds: 1}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: fraud, labels: {app: fraud}}
        spec:
          serviceAccountName: fraud
          containers:
          - {name: app, image: $IMAGE, args: [demo-app, --service, fraud, --port, "9080"], env: [{name: WEFT_POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}], ports: [{name: http, containerPort: 9080}], readinessProbe: {httpGet: {path: /demo/stats, port: 9080}, periodSeconds: 1}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: legacy, labels: {app: legacy}, annotations: {weft.dev/inject: "false"}}
        spec:
          containers:
          - {name: app, image: $IMAGE, args: [demo-app, --service, legacy, --port, "9080"], env: [{name: WEFT_POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}], ports: [{name: http, containerPort: 9080}], readinessProbe: {httpGet: {path: /demo/stats, port: 9080}, periodSeconds: 1}}
        """.Replace("$IMAGE", TestCluster.WeftImage, StringComparison.Ordinal);
}
