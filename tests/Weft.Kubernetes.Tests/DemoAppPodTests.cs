using System.Net;
using System.Text.Json;
using k8s;
using Weft.Kubernetes.Tests.Cluster;

namespace Weft.Kubernetes.Tests;

/// <summary>
/// Two pods from the weft image running `weft demo-app` on the real kubelet — a server behind a
/// ClusterIP Service and a client — and what Weft on Kubernetes relies on of them: readiness, the
/// API server's pods/proxy and port-forward into a pod, pod-to-pod and Service traffic, cluster DNS,
/// exec, and the init container's capture-rule tools working in a pod's own network namespace.
/// </summary>
public sealed class DemoAppPodTests(DemoAppPodTests.Pods pods) : IClassFixture<DemoAppPodTests.Pods>
{
    [KubernetesFact(NeedsWeftImage = true)]
    public async Task DemoAppPodAnswersThroughTheApiServersPodProxy()
    {
        var (status, body) = await pods.ProxyGetAsync("server", 8080, "/hello?from=proxy");

        Assert.Equal(HttpStatusCode.OK, status);
        var reply = JsonDocument.Parse(body).RootElement;
        Assert.Equal("server", reply.GetProperty("instance").GetString());
        Assert.Equal("/hello", reply.GetProperty("path").GetString());
        Assert.Equal("?from=proxy", reply.GetProperty("query").GetString());
    }

    [KubernetesFact(NeedsWeftImage = true)]
    public async Task PortForwardReachesThePod()
    {
        await using var forward = await pods.PortForwardAsync("server", 8080);
        using var http = new HttpClient { BaseAddress = forward.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };

        var reply = JsonDocument.Parse(await http.GetStringAsync("/forwarded")).RootElement;

        Assert.Equal("server", reply.GetProperty("instance").GetString());
    }

    [KubernetesFact(NeedsWeftImage = true)]
    public async Task PodReachesAnotherPodByItsAddress()
    {
        var reply = await pods.CallFromClientAsync($"http://{pods.ServerAddress}:8080/direct");

        Assert.Equal("server", reply.GetProperty("instance").GetString());
        Assert.Equal("/direct", reply.GetProperty("path").GetString());
    }

    [KubernetesFact(NeedsWeftImage = true)]
    public async Task ClusterIpServiceRoutesToItsReadyPod()
    {
        var service = await pods.Client.CoreV1.ReadNamespacedServiceAsync("backend", pods.Name);

        var reply = await pods.CallFromClientAsync($"http://{service.Spec.ClusterIP}/by-cluster-ip");

        Assert.Equal("server", reply.GetProperty("instance").GetString());
    }

    [KubernetesFact(NeedsWeftImage = true)]
    public async Task ClusterDnsResolvesServiceNames()
    {
        // The full name, and the short forms a pod's search path completes (what manifests use).
        foreach (var host in new[] { $"backend.{pods.Name}.svc.cluster.local", $"backend.{pods.Name}", "backend" })
        {
            var reply = await pods.CallFromClientAsync($"http://{host}/by-name");
            Assert.Equal("server", reply.GetProperty("instance").GetString());
            Assert.Equal(host, reply.GetProperty("host").GetString());
        }
    }

    [KubernetesFact(NeedsWeftImage = true)]
    public async Task ExecRunsInThePodWithSetprivForTheSidecarsGroup()
    {
        var dump = (await pods.ExecAsync("server", "app", "setpriv", "--reuid=1337", "--regid=1337", "--clear-groups", "setpriv", "--dump")).OrThrow("exec setpriv");

        Assert.Contains("uid: 1337", dump.Output, StringComparison.Ordinal);
        Assert.Contains("gid: 1337", dump.Output, StringComparison.Ordinal);
    }

    [KubernetesFact(NeedsWeftImage = true)]
    public async Task InitContainersCaptureRulesRedirectThePodsOutboundTraffic()
    {
        // The server's init container installed, with the image's iptables-restore in the pod's own
        // network namespace, a REDIRECT of port 9 to the app's port that skips the sidecar's group —
        // the shape of the capture rules. A call to 127.0.0.1:9 thus lands on the app itself.
        var (status, body) = await pods.ProxyGetAsync("server", 8080, "/call?url=http://127.0.0.9:9/captured");

        Assert.True(status == HttpStatusCode.OK, $"{status}: {body}");
        Assert.Equal("/captured", JsonDocument.Parse(body).RootElement.GetProperty("path").GetString());
        var rules = (await pods.Kubectl.RunAsync("logs", "-n", pods.Name, "server", "-c", "capture")).OrThrow("logs capture");
        Assert.Contains("--gid-owner 1337 -j RETURN", rules.Output, StringComparison.Ordinal);
    }

    /// <summary>The namespace with the server pod (and its Service) and the client pod, made once for the class.</summary>
    public sealed class Pods() : TestNamespace("pods")
    {
        public string ServerAddress { get; private set; } = "";

        protected override async Task SetUpAsync()
        {
            if (TestCluster.WeftImageSkipReason is not null)
            {
                return;
            }

            await ApplyAsync("""
                apiVersion: v1
                kind: Pod
                metadata: {name: server, labels: {app: backend}}
                spec:
                  initContainers:
                  - name: capture
                    image: $IMAGE
                    command: [sh, -c]
                    args:
                    - |
                      printf '*nat\n:OUTPUT ACCEPT [0:0]\n:WEFT_TEST - [0:0]\n-A OUTPUT -p tcp -j WEFT_TEST\n-A WEFT_TEST -m owner --gid-owner 1337 -j RETURN\n-A WEFT_TEST -p tcp --dport 9 -j REDIRECT --to-ports 8080\nCOMMIT\n' | iptables-restore --noflush && iptables-save -t nat
                    securityContext: {capabilities: {add: [NET_ADMIN, NET_RAW]}}
                  containers:
                  - {name: app, image: $IMAGE, args: [demo-app, --service, backend, --port, "8080"], env: [{name: WEFT_POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}], ports: [{containerPort: 8080}], readinessProbe: {httpGet: {path: /demo/stats, port: 8080}, periodSeconds: 1}}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: client}
                spec:
                  containers:
                  - {name: app, image: $IMAGE, args: [demo-app, --service, backend, --port, "8080"], env: [{name: WEFT_POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}], ports: [{containerPort: 8080}], readinessProbe: {httpGet: {path: /demo/stats, port: 8080}, periodSeconds: 1}}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: backend}
                spec:
                  selector: {app: backend}
                  ports: [{port: 80, targetPort: 8080}]
                """.Replace("$IMAGE", TestCluster.WeftImage, StringComparison.Ordinal));
            ServerAddress = (await WaitForPodReadyAsync("server")).Status.PodIP;
            await WaitForPodReadyAsync("client");
        }

        /// <summary>The client pod's demo app calls <paramref name="url"/> (its /call endpoint) and relays the answer.</summary>
        public async Task<JsonElement> CallFromClientAsync(string url)
        {
            // The Service's endpoints and DNS name follow the server's readiness within a second or two.
            JsonElement reply = default;
            string last = "";
            await Eventually(async () =>
            {
                var (status, body) = await ProxyGetAsync("client", 8080, "/call?url=" + Uri.EscapeDataString(url));
                last = $"{status}: {body}";
                if (status != HttpStatusCode.OK)
                {
                    return false;
                }

                reply = JsonDocument.Parse(body).RootElement.Clone();
                return true;
            }, TimeSpan.FromSeconds(20), () => $"client -> {url} (last answer {last})");
            return reply;
        }
    }
}
