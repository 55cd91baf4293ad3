using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.ControlPlane.Certificates;
using Weft.Kubernetes.Admission;
using Weft.Kubernetes.Api;
using Weft.Kubernetes.Injection;
using Weft.Kubernetes.Mapping;
using Weft.Kubernetes.Tests.Cluster;
using Weft.Kubernetes.Tests.Simulation;
using Weft.Protocol.Identity;

namespace Weft.Kubernetes.Tests;

/// <summary>The real API server sends pods of an injected namespace through Weft's injection webhook (pods SIMULATED: no kubelet runs them).</summary>
public sealed class InjectionWebhookTests
{
    [Theory]
    [InlineData("1", "20", "v1.20.2", false, false)]
    [InlineData("1", "21", "v1.21.0", false, true)]
    [InlineData("1", "29", "v1.29.1", true, true)]
    [InlineData("1", "30+", "v1.30.4-gke.1", true, true)]
    [InlineData("", "", "v1.29.0", true, true)]
    [InlineData("", "", "v0.0.0-master+faecb196815e2", false, false)]
    public void The_servers_version_decides_the_sidecars_form_and_the_EndpointSlice_version(string major, string minor, string gitVersion, bool native, bool sliceV1)
    {
        var version = ServerVersion.Parse(major, minor, gitVersion);

        Assert.Equal(native, version.NativeSidecars);
        Assert.Equal(sliceV1, version.EndpointSlicesV1);
    }

    [KubernetesFact]
    public async Task A_pod_created_in_an_injected_namespace_is_stored_with_the_init_container_and_the_proxy()
    {
        await using var cluster = await PodSimulation.StartAsync("weft-sim-inject");
        var version = await ServerVersion.GetAsync(cluster.Api, CancellationToken.None);
        var authority = CertificateAuthority.LoadOrCreate(Directory.CreateTempSubdirectory("weft-inject-ca-").FullName, "cluster.local", TimeProvider.System);
        using var certificate = authority.IssueServingCertificate(new SpiffeId("cluster.local", "weft-system", "weft-control-plane"), ["localhost"], [IPAddress.Loopback]);
        var settings = new InjectionSettings { ControlPlaneAddress = "https://198.18.0.1:15012", ControlPlaneRootPem = authority.RootPem, NativeSidecars = version.NativeSidecars };
        await using var server = await AdmissionServer.StartAsync(IPAddress.Loopback, 0, certificate, NullLoggerFactory.Instance, CancellationToken.None, settings);

        var name = $"weft-injection-{cluster.Namespace}";
        var scope = new JsonObject { ["matchLabels"] = new JsonObject { ["weft.dev/test-namespace"] = cluster.Namespace } };
        await cluster.MergePatchAsync(ApiResource.Namespaces, cluster.Namespace, new JsonObject
        {
            ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["weft.dev/test-namespace"] = cluster.Namespace, ["weft.dev/inject"] = "enabled" } },
        });
        await cluster.Api.SendAsync(HttpMethod.Post, "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
            WebhookConfigurations.Mutating(WebhookEndpoint.At($"https://127.0.0.1:{server.Port}"), authority.RootPem, scope, name), CancellationToken.None);
        try
        {
            await cluster.CreateServiceAccountAsync("payments");
            JsonObject? stored = null;
            var attempt = 0;
            // The API server picks up a new webhook configuration within a moment: retry with fresh pods until it does.
            await TestNamespace.Eventually(async () =>
            {
                var pod = await cluster.StartPodAsync($"payments-{attempt++}", "payments", new Dictionary<string, string> { ["app"] = "payments" }, 9080, meshed: false);
                stored = await cluster.Api.GetAsync(ApiResource.Pods.ObjectPath(cluster.Namespace, pod.Name), CancellationToken.None);
                return PodInstances.From(stored)?.Instance.Meshed == true;
            }, TimeSpan.FromSeconds(30), "the webhook to inject a pod");

            var init = stored!["spec"]!["initContainers"]!.AsArray();
            Assert.Equal(SidecarInjector.InitContainer, init[0]!["name"]!.GetValue<string>());
            var proxy = version.NativeSidecars ? init[1]! : stored["spec"]!["containers"]![0]!;
            Assert.Equal(PodInstances.ProxyContainer, proxy["name"]!.GetValue<string>());
            Assert.Equal(authority.RootPem, stored["metadata"]!["annotations"]![SidecarInjector.RootAnnotation]!.GetValue<string>());

            // A pod that opts out is stored as it was written.
            var optOut = await cluster.CreateAsync(ApiResource.Pods, new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = "plain", ["annotations"] = new JsonObject { [SidecarInjector.InjectAnnotation] = "false" } },
                ["spec"] = new JsonObject
                {
                    ["schedulerName"] = PodSimulation.SchedulerName,
                    ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = TestCluster.WeftImage }),
                },
            });
            Assert.Equal(["app"], optOut["spec"]!["containers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
            Assert.Null(optOut["spec"]!["initContainers"]);
        }
        finally
        {
            await cluster.Api.SendAsync(HttpMethod.Delete, $"/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/{name}", null, CancellationToken.None);
        }
    }
}
