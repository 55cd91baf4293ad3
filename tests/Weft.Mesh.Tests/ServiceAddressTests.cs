using System.Net;
using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Mesh.Compilation;
using Weft.Mesh.Model;
using Weft.Testing;

namespace Weft.Mesh.Tests;

/// <summary>Service virtual IPs (transparent mode): how they are assigned and what the compiler makes of them.</summary>
public sealed class ServiceAddressTests
{
    private static readonly MeshOptions Options = new();

    private static Service Service(string name, string ns, string? clusterIp = null)
    {
        var yaml = "apiVersion: v1\nkind: Service\n"
            + $"metadata: {{name: {name}, namespace: {ns}}}\n"
            + $"spec:\n  selector: {{app: {name}}}\n"
            + (clusterIp is null ? "" : $"  clusterIP: {clusterIp}\n")
            + "  ports: [{name: http, port: 80, targetPort: 9080}]\n";
        return (Service)ManifestLoader.Load(yaml, "s.yaml").Resources.Single();
    }

    [Fact]
    public void The_pool_assigns_in_name_order_and_never_moves_or_reuses_an_address()
    {
        var pool = new ServiceAddressPool(IPNetwork.Parse("10.77.1.0/24"));
        var first = pool.Assign([Service("payments", "payments"), Service("checkout", "shop")], Options);
        Assert.Equal("10.77.1.1", first["payments.payments.svc.cluster.local"]);
        Assert.Equal("10.77.1.2", first["checkout.shop.svc.cluster.local"]);

        // A new service later in the order, one removed: the others keep theirs, and the new one gets a fresh address.
        var second = pool.Assign([Service("checkout", "shop"), Service("audit", "audit")], Options);
        Assert.Equal("10.77.1.2", second["checkout.shop.svc.cluster.local"]);
        Assert.Equal("10.77.1.3", second["audit.audit.svc.cluster.local"]);
        Assert.Equal("10.77.1.1", second["payments.payments.svc.cluster.local"]);
    }

    [Theory]
    [InlineData("10.77.1.1", "10.77.1.2")] // a declared address inside the pool's range is skipped
    [InlineData("10.96.0.10", "10.77.1.1")] // one outside it changes nothing
    public void A_service_with_its_own_cluster_ip_keeps_it_and_its_address_is_not_handed_out(string declared, string nextAssigned)
    {
        var pool = new ServiceAddressPool(IPNetwork.Parse("10.77.1.0/24"));
        var assigned = pool.Assign([Service("dns", "kube-system", declared), Service("payments", "payments")], Options);
        Assert.False(assigned.ContainsKey("dns.kube-system.svc.cluster.local"));
        Assert.Equal(nextAssigned, assigned["payments.payments.svc.cluster.local"]);
    }

    [Fact]
    public void An_exhausted_range_says_so()
    {
        var pool = new ServiceAddressPool(IPNetwork.Parse("10.77.1.0/30")); // .1 and .2 usable
        pool.Assign([Service("a", "x"), Service("b", "x")], Options);
        var e = Assert.Throws<InvalidOperationException>(() => pool.Assign([Service("c", "x")], Options));
        Assert.Contains("10.77.1.0/30 is exhausted", e.Message, StringComparison.Ordinal);
    }

    private static MeshSnapshot PaymentsWith(IReadOnlyDictionary<string, string> addresses)
    {
        var loaded = new LoadResult();
        foreach (var file in Directory.GetFiles(Repository.Example("payments"), "*.yaml").Order())
        {
            loaded.Add(ManifestLoader.Load(File.ReadAllText(file), Path.GetFileName(file)));
        }

        return TestMesh.Snapshot(loaded) with { ServiceAddresses = addresses };
    }

    [Fact]
    public void Every_virtual_host_carries_its_services_address_and_protocol()
    {
        var snapshot = PaymentsWith(new Dictionary<string, string> { ["payments.payments.svc.cluster.local"] = "10.77.1.1" });
        var outbound = MeshCompiler.Compile(snapshot).Proxies["shop/checkout"].Outbound;

        var payments = outbound.Single(h => h.ServiceFqdn == "payments.payments.svc.cluster.local");
        Assert.Equal(["10.77.1.1"], payments.Addresses);
        Assert.Equal("http", payments.AppProtocol);
        Assert.Empty(outbound.Single(h => h.ServiceName == "checkout").Addresses); // none assigned: none claimed
    }

    [Fact]
    public void Backends_list_each_service_port_with_its_addresses_and_instances()
    {
        var snapshot = PaymentsWith(new Dictionary<string, string> { ["payments.payments.svc.cluster.local"] = "10.77.1.1" });
        var payments = MeshCompiler.Backends(snapshot).Single(b => b.Name == "payments");

        Assert.Equal("payments", payments.Namespace);
        Assert.Equal(80, payments.Port);
        Assert.Equal(["10.77.1.1"], payments.Addresses);
        Assert.Equal([new ServiceBackend("payments/payments-v1", 9080), new ServiceBackend("payments/payments-v2", 9080)], payments.Backends);
    }
}
