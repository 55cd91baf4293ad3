using System.Text.Json.Nodes;
using Weft.Kubernetes.Mapping;

namespace Weft.Kubernetes.Tests;

/// <summary>A pod as the mesh's instance: meshed by Weft's proxy container, an endpoint only while Ready.</summary>
public sealed class PodInstancesTests
{
    public static TheoryData<string, string, bool?, bool, bool> Pods => new()
    {
        // name, the pod's JSON (spec + status), serving (null: no instance), meshed, app running
        { "ready and meshed", Pod("""[{"name": "app", "ports": [{"containerPort": 9080}]}, {"name": "weft-proxy"}]""", Status("Running", ready: true)), true, true, true },
        { "running, not ready", Pod("""[{"name": "app", "ports": [{"containerPort": 9080}]}, {"name": "weft-proxy"}]""", Status("Running", ready: false)), false, true, true },
        { "no sidecar", Pod("""[{"name": "app", "ports": [{"containerPort": 9080}]}]""", Status("Running", ready: true)), true, false, true },
        { "native sidecar", Pod("""[{"name": "app", "ports": [{"containerPort": 9080}]}]""", Status("Running", ready: true), """[{"name": "weft-proxy", "restartPolicy": "Always"}]"""), true, true, true },
        { "init container of that name that is not a sidecar", Pod("""[{"name": "app"}]""", Status("Running", ready: true), """[{"name": "weft-proxy"}]"""), true, false, true },
        { "terminating", Pod("""[{"name": "app", "ports": [{"containerPort": 9080}]}]""", Status("Running", ready: true), deleting: true), false, false, true },
        { "succeeded Job", Pod("""[{"name": "app"}]""", Status("Succeeded", ready: false)), false, false, false },
        { "no address yet", Pod("""[{"name": "app"}]""", """{"phase": "Pending"}"""), null, false, false },
    };

    [Theory]
    [MemberData(nameof(Pods))]
    public void A_pod_becomes_an_instance(string name, string json, bool? serving, bool meshed, bool appRunning)
    {
        var placed = PodInstances.From((JsonObject)JsonNode.Parse(json)!);

        Assert.True(serving is null == placed is null, name);
        if (placed is null)
        {
            return;
        }

        Assert.Equal(serving, placed.Instance.Ready);
        Assert.Equal(meshed, placed.Instance.Meshed);
        Assert.Equal(appRunning, placed.Facts.AppRunning);
        Assert.Equal("shop/payments-0", placed.Instance.Key);
        Assert.Equal("payments", placed.Instance.Workload.Spec.ServiceAccount);
        Assert.Equal("v1", placed.Instance.Labels["version"]);
    }

    [Theory]
    [InlineData(true, "127.0.0.1:9080")]
    [InlineData(false, "10.1.0.7:9080")]
    public void Peers_reach_the_pod_address_and_the_sidecar_reaches_the_app_on_the_pods_loopback(bool meshed, string appAddress)
    {
        var containers = meshed ? """[{"name": "app", "ports": [{"name": "http", "containerPort": 9080}]}, {"name": "weft-proxy", "ports": [{"containerPort": 15000}]}]"""
            : """[{"name": "app", "ports": [{"name": "http", "containerPort": 9080}]}]""";
        var placed = PodInstances.From((JsonObject)JsonNode.Parse(Pod(containers, Status("Running", ready: true)))!)!;

        Assert.Equal("10.1.0.7:9080", placed.Instance.Endpoints[9080]);
        Assert.Equal(appAddress, placed.Instance.AppAddresses[9080]);
        // The proxy's own ports are not the workload's.
        Assert.Equal([9080], placed.Instance.Workload.Spec.Ports.Select(p => p.Port));
    }

    [Theory]
    [InlineData("""[{"name": "app", "state": {"terminated": {"exitCode": 0}}}, {"name": "weft-proxy", "state": {"running": {}}}]""", 0, false)]
    [InlineData("""[{"name": "app", "state": {"terminated": {"exitCode": 3}}}, {"name": "weft-proxy", "state": {"running": {}}}]""", 3, false)]
    [InlineData("""[{"name": "app", "state": {"running": {}}}, {"name": "weft-proxy", "state": {"running": {}}}]""", null, true)]
    public void The_app_containers_state_is_what_status_reports(string containerStatuses, int? exitCode, bool running)
    {
        var status = $$"""{"phase": "Running", "podIP": "10.1.0.7", "conditions": [{"type": "Ready", "status": "False"}], "containerStatuses": {{containerStatuses}}}""";
        var placed = PodInstances.From((JsonObject)JsonNode.Parse(Pod("""[{"name": "app"}, {"name": "weft-proxy"}]""", status))!)!;

        Assert.Equal(exitCode, placed.Facts.AppExitCode);
        Assert.Equal(running, placed.Facts.AppRunning);
        Assert.True(placed.Facts.SidecarRunning);
    }

    private static string Status(string phase, bool ready) =>
        $$"""{"phase": "{{phase}}", "podIP": "10.1.0.7", "conditions": [{"type": "Ready", "status": "{{(ready ? "True" : "False")}}"}]}""";

    private static string Pod(string containers, string status, string initContainers = "[]", bool deleting = false) => $$"""
        {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "payments-0", "namespace": "shop", "labels": {"app": "payments", "version": "v1"}{{(deleting ? ", \"deletionTimestamp\": \"2026-12-04T10:00:00Z\"" : "")}}},
         "spec": {"serviceAccountName": "payments", "containers": {{containers}}, "initContainers": {{initContainers}}},
         "status": {{status}}}
        """;
}
