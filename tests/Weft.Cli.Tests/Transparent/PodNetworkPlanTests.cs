using System.Net;
using Weft.Cli.Local.Transparent;
using Weft.Mesh.Model;

namespace Weft.Cli.Tests.Transparent;

/// <summary>What transparent mode writes into pods: addresses and names, capture rules, hosts files.</summary>
public sealed class PodNetworkPlanTests
{
    [Theory]
    [InlineData(0, "weft0", "10.77.0.0/24", "10.77.1.0/24", "10.77.0.1", "10.77.0.2", "weft0v0")]
    [InlineData(5, "weft5", "10.77.10.0/24", "10.77.11.0/24", "10.77.10.1", "10.77.10.2", "weft5v0")]
    [InlineData(127, "weft127", "10.77.254.0/24", "10.77.255.0/24", "10.77.254.1", "10.77.254.2", "weft127v0")]
    public void A_mesh_index_gives_its_bridge_subnets_and_names(int index, string bridge, string pods, string services, string gateway, string firstPod, string firstVeth)
    {
        var subnet = new PodSubnet(index);
        Assert.Equal(bridge, subnet.Bridge);
        Assert.Equal(pods, subnet.Pods.ToString());
        Assert.Equal(services, subnet.Services.ToString());
        Assert.Equal(gateway, subnet.Gateway.ToString());
        Assert.Equal(firstPod, subnet.PodAddress(0).ToString());
        Assert.Equal(firstVeth, subnet.HostVeth(0));
        Assert.True(subnet.HostVeth(PodSubnet.MaxPods - 1).Length <= 15, "Linux interface names are at most 15 bytes");
        Assert.Equal($"{bridge}-shop-checkout", subnet.NetworkNamespace("shop", "checkout"));
    }

    [Fact]
    public void A_mesh_holds_at_most_252_pods()
    {
        Assert.Equal("10.77.0.253", new PodSubnet(0).PodAddress(251).ToString());
        Assert.Throws<InvalidOperationException>(() => new PodSubnet(0).PodAddress(252));
    }

    [Theory]
    [InlineData("10.77.0.0/24", true)]
    [InlineData("10.77.1.128/25", true)] // inside its service range
    [InlineData("10.0.0.0/8", true)] // a host route covering it
    [InlineData("10.77.2.0/24", false)]
    [InlineData("192.168.1.0/24", false)]
    public void A_subnet_the_host_already_routes_is_not_used(string hostNetwork, bool overlaps)
    {
        Assert.Equal(overlaps, new PodSubnet(0).Overlaps(IPNetwork.Parse(hostNetwork)));
    }

    [Fact]
    public void A_meshed_pod_captures_all_tcp_but_the_admin_port_and_the_proxys_own()
    {
        var rules = CaptureRules.Meshed(IPNetwork.Parse("10.77.1.0/24"));

        Assert.Equal("""
            *nat
            :PREROUTING ACCEPT [0:0]
            :INPUT ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            :POSTROUTING ACCEPT [0:0]
            :WEFT_INBOUND - [0:0]
            :WEFT_OUTPUT - [0:0]
            -A PREROUTING -p tcp -j WEFT_INBOUND
            -A WEFT_INBOUND -p tcp --dport 15000 -j RETURN
            -A WEFT_INBOUND -p tcp -j REDIRECT --to-ports 15006
            -A OUTPUT -p tcp -j WEFT_OUTPUT
            -A WEFT_OUTPUT -m owner --gid-owner 1337 -j RETURN
            -A WEFT_OUTPUT -d 127.0.0.0/8 -j RETURN
            -A WEFT_OUTPUT -p tcp -j REDIRECT --to-ports 15001
            COMMIT
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            -A OUTPUT -d 10.77.1.0/24 -p tcp -j REJECT --reject-with tcp-reset
            -A OUTPUT -d 10.77.1.0/24 -j REJECT
            COMMIT

            """, rules);
    }

    public static TheoryData<int, string[]> Spreads => new()
    {
        { 0, [] },
        { 1, ["-A WEFT_SERVICES -d 10.77.1.1/32 -p tcp --dport 80 -j DNAT --to-destination 10.77.0.2:9080"] },
        {
            3,
            [
                "-A WEFT_SERVICES -d 10.77.1.1/32 -p tcp --dport 80 -m statistic --mode random --probability 0.33333 -j DNAT --to-destination 10.77.0.2:9080",
                "-A WEFT_SERVICES -d 10.77.1.1/32 -p tcp --dport 80 -m statistic --mode random --probability 0.5 -j DNAT --to-destination 10.77.0.3:9080",
                "-A WEFT_SERVICES -d 10.77.1.1/32 -p tcp --dport 80 -j DNAT --to-destination 10.77.0.4:9080",
            ]
        },
    };

    [Theory]
    [MemberData(nameof(Spreads))]
    public void An_unmeshed_pod_reaches_a_service_address_spread_evenly_over_its_endpoints(int endpoints, string[] expected)
    {
        var route = new ServiceRoute("10.77.1.1", 80, Enumerable.Range(0, endpoints).Select(i => new IPEndPoint(IPAddress.Parse($"10.77.0.{i + 2}"), 9080)).ToList());

        var rules = CaptureRules.Unmeshed(IPNetwork.Parse("10.77.1.0/24"), [route]).Split('\n');

        Assert.Equal(expected, rules.Where(r => r.StartsWith("-A WEFT_SERVICES", StringComparison.Ordinal)));
        Assert.Contains("-A OUTPUT -p tcp -j WEFT_SERVICES", rules);
        Assert.DoesNotContain(rules, r => r.Contains("REDIRECT", StringComparison.Ordinal)); // no sidecar to capture for
    }

    [Fact]
    public void A_pods_hosts_file_names_every_service_as_the_mesh_routes_it()
    {
        IReadOnlyList<ServiceBackends> services =
        [
            new("payments.payments.svc.cluster.local", "payments", "payments", ["10.77.1.1"], 80, []),
            new("payments.payments.svc.cluster.local", "payments", "payments", ["10.77.1.1"], 8080, []),
            new("web.shop.svc.cluster.local", "web", "shop", ["10.77.1.2"], 80, []),
            new("web.other.svc.cluster.local", "web", "other", ["10.77.1.3"], 80, []),
            new("api.other.svc.cluster.local", "api", "other", [], 80, []), // no address: not resolvable
        ];

        Assert.Equal("""
            # written by weft up --transparent; removed with the mesh
            127.0.0.1	localhost
            ::1	localhost ip6-localhost ip6-loopback
            10.77.0.5	checkout
            10.77.1.1	payments.payments.svc.cluster.local payments.payments.svc payments.payments payments
            10.77.1.2	web.shop.svc.cluster.local web.shop.svc web.shop web
            10.77.1.3	web.other.svc.cluster.local web.other.svc web.other

            """, HostsFile.For("shop", "checkout", "10.77.0.5", services));
    }
}
