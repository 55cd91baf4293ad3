using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Config.Registry;

namespace Weft.Config.Tests;

/// <summary>Kubernetes objects as registry input: read leniently, turned into workloads the way Istio sees them.</summary>
public sealed class KubernetesObjectTests
{
    private const string Objects = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop, labels: {istio-injection: enabled}}
        status: {phase: Active}
        ---
        apiVersion: v1
        kind: Node
        metadata:
          name: node-1
          labels: {topology.kubernetes.io/region: eu-west-1, topology.kubernetes.io/zone: eu-west-1a, kubernetes.io/os: linux}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop, labels: {team: a}, uid: 1234, managedFields: [{manager: kubectl}]}
        spec:
          replicas: 3
          selector: {matchLabels: {app: web}}
          strategy: {type: RollingUpdate}
          template:
            metadata: {labels: {app: web, version: v1}}
            spec:
              serviceAccountName: web-sa
              containers:
              - name: web
                image: example/web:1
                resources: {requests: {cpu: 100m}}
                ports: [{name: http, containerPort: 8080, protocol: TCP}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: job-1, namespace: shop, labels: {app: job}, annotations: {sidecar.istio.io/inject: "false"}}
        spec:
          nodeName: node-1
          containers: [{name: job, image: example/job:1}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: legacy, namespace: other}
        spec:
          serviceAccount: old
          containers: [{name: app, image: a}, {name: istio-proxy, image: proxyv2}]

        """;

    [Fact]
    public void Kubernetes_fields_the_mesh_does_not_use_are_tolerated()
    {
        var result = ManifestLoader.Load(Objects, "k8s.yaml");

        Assert.Empty(result.Diagnostics);
        Assert.Equal(["Namespace", "Node", "Deployment", "Pod", "Pod"], result.Resources.Select(r => r.Kind));
        Assert.Equal("Namespace shop", result.Resources[0].Reference);
        Assert.Equal("Deployment shop/web", result.Resources[2].Reference);
    }

    [Fact]
    public void Pods_and_pod_templates_become_workloads_with_labels_account_ports_and_sidecar()
    {
        var workloads = KubernetesWorkloads.From(ManifestLoader.Load(Objects, "k8s.yaml").Resources);

        Assert.Collection(workloads,
            web =>
            {
                Assert.Equal(("Deployment shop/web", "web-sa", 3, true), (web.Reference, web.Spec.ServiceAccount, web.Spec.Replicas, web.Spec.Mesh));
                Assert.Equal(new Dictionary<string, string> { ["app"] = "web", ["version"] = "v1" }, web.Metadata.Labels);
                var port = Assert.Single(web.Spec.Ports);
                Assert.Equal(("http", 8080), (port.Name, port.Port));
                Assert.Equal(("k8s.yaml", 12), (web.Source.File, web.Source.Line)); // the document, as for every resource
            },
            job =>
            {
                Assert.Equal(("Pod shop/job-1", "default", false), (job.Reference, job.Spec.ServiceAccount, job.Spec.Mesh));
                Assert.Equal("eu-west-1a", job.Metadata.Labels["topology.kubernetes.io/zone"]);
                Assert.Equal("node-1", job.Metadata.Labels["kubernetes.io/hostname"]);
                Assert.False(job.Metadata.Labels.ContainsKey("kubernetes.io/os"));
            },
            legacy => Assert.Equal(("old", true), (legacy.Spec.ServiceAccount, legacy.Spec.Mesh)));
    }

    [Fact]
    public void A_wrong_type_in_a_kubernetes_object_is_still_an_error_with_its_line()
    {
        var result = ManifestLoader.Load("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    ports: [{containerPort: http}]\n", "pod.yaml");

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal((DiagnosticCodes.SchemaError, 7, "spec.containers[0].ports[0].containerPort"), (error.Code, error.Location.Line, error.Field));
    }
}
