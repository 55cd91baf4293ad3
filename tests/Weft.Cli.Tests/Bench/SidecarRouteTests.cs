using Weft.Cli.Bench;
using Weft.ControlPlane.Api;

namespace Weft.Cli.Tests.Bench;

public sealed class SidecarRouteTests
{
    private static readonly MeshStatus Status = new(
        new ControlPlaneStatus("3", "/config", "http://127.0.0.1:1", "https://127.0.0.1:2", null, [], null, DateTimeOffset.UnixEpoch),
        [
            Workload("checkout", "shop", meshed: true, outbound: 15001),
            Workload("payments-v1", "payments", meshed: true, outbound: 15002),
            Workload("legacy", "shop", meshed: false, outbound: null),
            Workload("worker", "a", meshed: true, outbound: 15003),
            Workload("worker", "b", meshed: true, outbound: 15004),
            Workload("starting", "shop", meshed: true, outbound: null),
        ]);

    [Theory]
    [InlineData("checkout", null, "shop/checkout", 15001)]
    [InlineData("shop/checkout", null, "shop/checkout", 15001)]
    [InlineData("worker", "b", "b/worker", 15004)]
    [InlineData("a/worker", null, "a/worker", 15003)]
    public void Finds_the_outbound_port_of_the_workloads_sidecar(string from, string? @namespace, string name, int port)
    {
        var route = SidecarRoute.Resolve(Status, from, @namespace);

        Assert.Equal(name, route.From);
        Assert.Equal(port, route.SidecarPort);
        Assert.Equal($"spiffe://cluster.local/ns/{name.Split('/')[0]}/sa/x", route.Identity);
    }

    [Theory]
    [InlineData("nope", null, "--from nope: no workload nope; `weft status` lists them")]
    [InlineData("checkout", "payments", "--from checkout: no workload checkout in namespace payments")]
    [InlineData("legacy", null, "--from legacy: shop/legacy has no sidecar")]
    [InlineData("worker", null, "--from worker: worker exists in several namespaces (a, b)")]
    [InlineData("starting", null, "--from starting: shop/starting's sidecar has no outbound port yet")]
    public void Refuses_a_workload_it_cannot_send_through_naming_it(string from, string? @namespace, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => SidecarRoute.Resolve(Status, from, @namespace));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    private static WorkloadStatus Workload(string name, string @namespace, bool meshed, int? outbound) => new(
        name, @namespace, meshed ? $"spiffe://cluster.local/ns/{@namespace}/sa/x" : "(no sidecar)", meshed, outbound,
        new Dictionary<int, int>(), new Dictionary<int, int>(), meshed ? 16000 : null, 100, meshed ? 101 : null, true, meshed, null, true, null);
}
