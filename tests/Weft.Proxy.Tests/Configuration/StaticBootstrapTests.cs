using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Weft.Protocol.V1;
using Weft.Proxy.Configuration;
using Weft.Proxy.Hosting;
using Weft.Proxy.Tests.Tls;

namespace Weft.Proxy.Tests.Configuration;

/// <summary>Static mode: `weft proxy --config FILE --cert --key --trust-bundle`, no control plane.</summary>
public sealed class StaticBootstrapTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("weft-static-").FullName;
    private readonly TestIdentities _identities = new();

    [Fact]
    public void Parse_config_selects_static_mode_without_a_control_plane()
    {
        var options = ProxyOptions.Parse(["--workload", "server", "--namespace", "bench", "--config", "c.json", "--cert", "s.crt", "--key", "s.key",
            "--trust-bundle", "ca.crt", "--inbound", "8080=20382", "--admin-port", "20384"]);

        Assert.Equal(new StaticBootstrap("c.json", "s.crt", "s.key", "ca.crt"), options.Static);
        Assert.Equal("", options.ControlPlaneAddress);
        Assert.Equal(20382, options.InboundPorts[8080]);
    }

    [Fact]
    public void Parse_without_config_still_requires_the_control_plane()
    {
        var e = Assert.Throws<ArgumentException>(() => ProxyOptions.Parse(["--workload", "w", "--namespace", "ns"]));
        Assert.Contains("--control-plane", e.Message);
    }

    [Theory]
    [InlineData("--cert")]
    [InlineData("--key")]
    [InlineData("--trust-bundle")]
    public void Parse_static_mode_requires_certificate_key_and_trust_bundle(string missing)
    {
        var args = new List<string> { "--workload", "w", "--namespace", "ns", "--config", "c.json", "--cert", "a", "--key", "b", "--trust-bundle", "t" };
        args.RemoveRange(args.IndexOf(missing), 2);

        var e = Assert.Throws<ArgumentException>(() => ProxyOptions.Parse(args));
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void Parse_refuses_static_config_together_with_a_control_plane()
    {
        var e = Assert.Throws<ArgumentException>(() => ProxyOptions.Parse(["--workload", "w", "--namespace", "ns", "--config", "c.json",
            "--cert", "a", "--key", "b", "--trust-bundle", "t", "--control-plane", "https://127.0.0.1:1"]));
        Assert.Contains("exclude", e.Message);
    }

    [Fact]
    public void Load_reads_the_config_and_credentials_and_the_config_compiles()
    {
        var files = WriteFiles("spiffe://cluster.local/ns/bench/sa/server");

        var (config, credentials) = StaticBootstrapLoader.Load(files);

        Assert.Equal(Config("spiffe://cluster.local/ns/bench/sa/server"), config);
        Assert.Equal("spiffe://cluster.local/ns/bench/sa/server", credentials.SpiffeId);
        Assert.True(credentials.Leaf.HasPrivateKey);
        Assert.Single(credentials.TrustBundle);
        using var keySets = new Weft.Proxy.Authentication.JsonWebKeySetCache(new HttpClient(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<Weft.Proxy.Authentication.JsonWebKeySetCache>.Instance);
        var snapshot = new ProxyConfigStore(new Dictionary<int, int> { [8080] = 20382 }, keySets).Apply(config);
        Assert.Equal("http://127.0.0.1:20080/", snapshot.InboundByListenPort[20382].AppPrefix);
        Assert.Equal(MtlsMode.Strict, snapshot.InboundByListenPort[20382].MtlsMode);
    }

    [Fact]
    public void Load_refuses_a_certificate_of_another_identity_than_the_config()
    {
        var files = WriteFiles("spiffe://cluster.local/ns/bench/sa/client");

        var e = Assert.Throws<ArgumentException>(() => StaticBootstrapLoader.Load(files));
        Assert.Contains("spiffe://cluster.local/ns/bench/sa/server", e.Message);
        Assert.Contains("spiffe://cluster.local/ns/bench/sa/client", e.Message);
    }

    [Fact]
    public void Load_names_the_file_of_a_malformed_config()
    {
        var files = WriteFiles("spiffe://cluster.local/ns/bench/sa/server");
        File.WriteAllText(files.ConfigFile, """{"workload": {"name": "server"}, "inbund": []}""");

        var e = Assert.Throws<ArgumentException>(() => StaticBootstrapLoader.Load(files));
        Assert.Contains(files.ConfigFile, e.Message);
    }

    [Fact]
    public void Load_names_a_missing_key_file()
    {
        var files = WriteFiles("spiffe://cluster.local/ns/bench/sa/server") with { KeyFile = Path.Combine(_directory, "absent.key") };

        var e = Assert.Throws<ArgumentException>(() => StaticBootstrapLoader.Load(files));
        Assert.Contains("absent.key", e.Message);
    }

    private static ProxyConfig Config(string spiffeId) => new()
    {
        Version = "static",
        Workload = new WorkloadIdentity { Name = "server", Namespace = "bench", ServiceAccount = "server", SpiffeId = spiffeId },
        Inbound = { new InboundPort { Port = 8080, Name = "http", AppAddress = "127.0.0.1:20080", MtlsMode = MtlsMode.Strict, AppProtocol = "http" } },
    };

    /// <summary>Writes a config for <paramref name="configIdentity"/> and a certificate for bench/server, as PEM files.</summary>
    private StaticBootstrap WriteFiles(string configIdentity)
    {
        var credentials = _identities.For("bench", "server");
        var files = new StaticBootstrap(Path.Combine(_directory, "config.json"), Path.Combine(_directory, "server.crt"),
            Path.Combine(_directory, "server.key"), Path.Combine(_directory, "ca.crt"));
        File.WriteAllText(files.ConfigFile, JsonFormatter.Default.Format(Config(configIdentity)));
        File.WriteAllText(files.CertificateFile, credentials.Leaf.ExportCertificatePem());
        using var key = credentials.Leaf.GetECDsaPrivateKey() ?? throw new CryptographicException("no key");
        File.WriteAllText(files.KeyFile, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(files.TrustBundleFile, string.Concat(credentials.TrustBundle.Select(root => root.ExportCertificatePem() + "\n")));
        return files;
    }

    public void Dispose()
    {
        _identities.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
