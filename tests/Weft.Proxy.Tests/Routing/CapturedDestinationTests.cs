using System.Net;
using Weft.Protocol.V1;
using Weft.Proxy.Hosting;
using Weft.Proxy.Interception;
using Weft.Proxy.Routing;
using static Weft.Proxy.Tests.TestSupport.Configs;

namespace Weft.Proxy.Tests.Routing;

/// <summary>Transparent mode's pure parts: the original destination the kernel reports, and routing by it.</summary>
public sealed class CapturedDestinationTests
{
    private static RouteTable BuildTable()
    {
        var config = new ProxyConfig { Version = "1" };
        config.Clusters.Add(Cluster("outbound|80||payments.payments.svc.cluster.local", "10.77.0.2:9080"));
        var http = Host("payments.payments.svc.cluster.local:80", 80, ["payments"], Route("default", "outbound|80||payments.payments.svc.cluster.local"));
        http.Addresses.Add("10.77.1.1");
        var tcp = Host("payments.payments.svc.cluster.local:7000", 7000, ["payments"], Route("default", "outbound|80||payments.payments.svc.cluster.local"));
        tcp.Addresses.Add("10.77.1.1");
        tcp.AppProtocol = "tcp";
        config.Outbound.Add(http);
        config.Outbound.Add(tcp);
        return RouteTable.Build(config);
    }

    [Theory]
    [InlineData("10.77.1.1", 80, "payments.payments.svc.cluster.local:80", false)]
    [InlineData("10.77.1.1", 7000, "payments.payments.svc.cluster.local:7000", true)]
    [InlineData("10.77.1.1", 8080, null, false)] // the service has no such port: passed through
    [InlineData("10.77.1.9", 80, null, false)] // not a service address
    [InlineData("10.77.0.2", 9080, null, false)] // a pod's own address
    public void A_captured_connection_is_routed_by_its_original_destination(string address, int port, string? expected, bool opaque)
    {
        var found = BuildTable().TryFindVirtualHost(new IPEndPoint(IPAddress.Parse(address), port), out var host);

        Assert.Equal(expected is not null, found);
        Assert.Equal(expected, host?.Name);
        Assert.Equal(opaque, host?.IsOpaqueTcp ?? false);
    }

    [Fact]
    public void A_virtual_host_address_that_is_not_an_ip_is_refused_as_a_config_error()
    {
        var config = new ProxyConfig();
        config.Clusters.Add(Cluster("c", "127.0.0.1:1"));
        var host = Host("h", 80, ["h"], Route("r", "c"));
        host.Addresses.Add("payments");
        config.Outbound.Add(host);

        var e = Assert.Throws<ProxyConfigException>(() => RouteTable.Build(config));
        Assert.Contains("address 'payments' is not an IP address", e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string?> SocketAddresses => new()
    {
        // sockaddr_in: family 2 (host order), port 9080 (network order), 10.77.1.1, zero padding
        { "020023780a4d01010000000000000000", "10.77.1.1:9080" },
        // sockaddr_in6: family 10, port 443, flow info, fd00::5, scope 0
        { "0a0001bb00000000fd000000000000000000000000000005" + "00000000", "[fd00::5]:443" },
        { "0200237c", null }, // too short
        { "0100237c0a4d01010000000000000000", null }, // AF_UNIX: not an IP destination
    };

    [Theory]
    [MemberData(nameof(SocketAddresses))]
    public void The_kernels_original_destination_is_read_from_a_sockaddr(string hex, string? expected)
    {
        Assert.Equal(expected, OriginalDestination.Parse(Convert.FromHexString(hex))?.ToString());
    }

    [Theory]
    [InlineData(new[] { "--pod-ip", "10.77.0.5", "--capture-inbound", "15006" }, null)]
    [InlineData(new[] { "--pod-ip", "10.77.0.5" }, "--pod-ip (transparent mode) needs --capture-inbound PORT")]
    [InlineData(new[] { "--pod-ip", "pod-5", "--capture-inbound", "15006" }, "--pod-ip: 'pod-5' is not an IP address")]
    public void Transparent_mode_options_are_checked(string[] transparent, string? error)
    {
        string[] args = ["--workload", "w", "--namespace", "n", "--control-plane", "https://10.77.0.1:1", "--control-plane-root", "r", "--token-file", "t", .. transparent];
        if (error is null)
        {
            var options = ProxyOptions.Parse(args);
            Assert.True(options.Transparent);
            Assert.Equal(15006, options.InboundCapturePort);
            Assert.Equal(IPAddress.Parse("10.77.0.5"), options.PodAddress);
        }
        else
        {
            Assert.Equal(error, Assert.Throws<ArgumentException>(() => ProxyOptions.Parse(args)).Message);
        }
    }
}
