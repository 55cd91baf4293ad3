using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.ControlPlane.Certificates;
using Weft.Kubernetes.Admission;
using Weft.Kubernetes.Api;
using Weft.Kubernetes.Tests.Cluster;
using Weft.Kubernetes.Tests.Simulation;
using Weft.Protocol.Identity;

namespace Weft.Kubernetes.Tests;

/// <summary>The real API server calls Weft's webhook over HTTPS (clientConfig.url + caBundle) and refuses what it refuses.</summary>
public sealed class WebhookTests
{
    [KubernetesFact]
    public async Task The_API_server_refuses_an_invalid_VirtualService_with_the_loaders_field_and_reason()
    {
        await using var cluster = await PodSimulation.StartAsync("weft-sim-webhook");
        var authority = CertificateAuthority.LoadOrCreate(Directory.CreateTempSubdirectory("weft-webhook-ca-").FullName, "cluster.local", TimeProvider.System);
        using var certificate = authority.IssueServingCertificate(new SpiffeId("cluster.local", "weft-system", "weft-control-plane"), ["localhost"], [IPAddress.Loopback]);
        await using var server = await AdmissionServer.StartAsync(IPAddress.Loopback, 0, certificate, NullLoggerFactory.Instance, CancellationToken.None);

        // Only this test's namespace is subject to this webhook, so nothing else on the cluster is affected.
        var name = $"weft-validation-{cluster.Namespace}";
        var selector = new JsonObject { ["matchLabels"] = new JsonObject { ["kubernetes.io/metadata.name"] = cluster.Namespace } };
        await cluster.MergePatchAsync(ApiResource.Namespaces, cluster.Namespace, new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["kubernetes.io/metadata.name"] = cluster.Namespace } } });
        await cluster.Api.SendAsync(HttpMethod.Post, "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
            WebhookConfigurations.Validating(WebhookEndpoint.At($"https://127.0.0.1:{server.Port}"), authority.RootPem, selector, name), CancellationToken.None);
        try
        {
            var invalid = Split(90, 20);
            KubernetesApiException? refused = null;
            // The API server picks up a new webhook configuration within a moment.
            await TestNamespace.Eventually(async () =>
            {
                try
                {
                    await cluster.CreateAsync(ApiResource.VirtualServices, invalid.DeepClone().AsObject());
                    await cluster.Api.SendAsync(HttpMethod.Delete, ApiResource.VirtualServices.ObjectPath(cluster.Namespace, "split"), null, CancellationToken.None);
                    return false;
                }
                catch (KubernetesApiException e) when (e.Message.Contains(WebhookConfigurations.ValidatingWebhook, StringComparison.Ordinal))
                {
                    refused = e;
                    return true;
                }
            }, TimeSpan.FromSeconds(30), "the webhook to refuse the invalid VirtualService");

            Assert.Contains($"VirtualService {cluster.Namespace}/split is invalid: spec.http[0].route", refused!.Message, StringComparison.Ordinal);
            Assert.Contains("100", refused.Message, StringComparison.Ordinal);

            // A valid one goes through the same webhook.
            await cluster.CreateAsync(ApiResource.VirtualServices, Split(90, 10));
        }
        finally
        {
            await cluster.Api.SendAsync(HttpMethod.Delete, $"/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/{name}", null, CancellationToken.None);
        }
    }

    private static JsonObject Split(int v1, int v2) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = "split" },
        ["spec"] = JsonNode.Parse($$"""{"hosts": ["payments"], "http": [{"route": [{"destination": {"host": "payments", "subset": "v1"}, "weight": {{v1}}}, {"destination": {"host": "payments", "subset": "v2"}, "weight": {{v2}}}]}]}"""),
    };
}
