using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Grpc.Net.Client;
using Weft.Protocol.Identity;
using Weft.Protocol.V1;

namespace Weft.IntegrationTests;

/// <summary>What payments' inbound port accepts: only mTLS, only mesh certificates, only checkout.</summary>
public sealed class MutualTlsTests(PaymentsMeshFixture fixture) : IClassFixture<PaymentsMeshFixture>
{
    private MeshProcess Mesh => fixture.Mesh;

    [Fact]
    public async Task Plaintext_is_refused_by_the_strict_port_without_reaching_the_app()
    {
        var payments = await Mesh.WorkloadAsync("payments-v1");
        using var plain = new HttpClient();
        using var response = await plain.GetAsync($"http://127.0.0.1:{payments.InboundPorts[9080]}/");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("mtls-required", Assert.Single(response.Headers.GetValues("x-weft-reason")));
        Assert.DoesNotContain("\"service\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mesh_certificate_for_fraud_completes_TLS_1_3_and_gets_403()
    {
        var fraudCertificate = await IssueAsync("fraud", "shop", new SpiffeId("cluster.local", "shop", "fraud"));
        var payments = await Mesh.WorkloadAsync("payments-v1");

        var (protocol, peer, response) = await SendOverTlsAsync(payments.InboundPorts[9080], fraudCertificate);

        Assert.Equal(SslProtocols.Tls13, protocol);
        Assert.Equal("spiffe://cluster.local/ns/payments/sa/payments", peer);
        Assert.StartsWith("HTTP/1.1 403", response, StringComparison.Ordinal);
        Assert.Contains("x-weft-reason: authz-denied; policy=payments/only-checkout", response, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_client_certificate_from_another_CA_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=impostor", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri("spiffe://cluster.local/ns/shop/sa/checkout"));
        request.CertificateExtensions.Add(san.Build());
        using var impostor = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));
        var payments = await Mesh.WorkloadAsync("payments-v1");

        // With TLS 1.3 the server judges the client certificate after the client considers the
        // handshake done, so the refusal shows as an alert or a closed connection with no answer.
        string? answer = null;
        var failure = await Record.ExceptionAsync(async () => answer = (await SendOverTlsAsync(payments.InboundPorts[9080], impostor)).Response);

        Assert.True(failure is AuthenticationException or IOException || answer == "", $"expected the connection to be refused, got {failure?.GetType().Name ?? answer}");
    }

    [Fact]
    public async Task The_CA_signs_only_the_identity_the_bootstrap_token_proves()
    {
        var failure = await Record.ExceptionAsync(() => IssueAsync("fraud", "shop", new SpiffeId("cluster.local", "shop", "checkout")));

        var rpc = Assert.IsType<Grpc.Core.RpcException>(failure);
        Assert.Contains("spiffe://cluster.local/ns/shop/sa/fraud", rpc.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>Asks the control plane for a certificate as the sidecar of <paramref name="workload"/> would.</summary>
    private async Task<X509Certificate2> IssueAsync(string workload, string ns, SpiffeId requested)
    {
        var secrets = Path.Combine(Mesh.StateDirectory, "secrets");
        var token = (await File.ReadAllTextAsync(Path.Combine(secrets, $"{ns}.{workload}.token"))).Trim();
        var status = await Mesh.StatusAsync();
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(Path.Combine(secrets, "control-plane-root.pem"));
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.AddRange(roots);
        using var channel = GrpcChannel.ForAddress(status.ControlPlane.DiscoveryAddress, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy } },
        });
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var response = await new CertificateAuthority.CertificateAuthorityClient(channel).SignAsync(new SignRequest
        {
            Node = new Node { Workload = workload, Namespace = ns, BootstrapToken = token },
            CsrPem = WorkloadCsr.CreatePem(key, requested),
        });
        using var leaf = X509Certificate2.CreateFromPem(response.CertificateChainPem[0]);
        return leaf.CopyWithPrivateKey(key);
    }

    private static async Task<(SslProtocols Protocol, string? Peer, string Response)> SendOverTlsAsync(int port, X509Certificate2 clientCertificate)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var ssl = new SslStream(tcp.GetStream());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "payments",
            ClientCertificates = [clientCertificate],
            RemoteCertificateValidationCallback = (_, _, _, _) => true, // this test inspects the server's identity itself
        }, timeout.Token);
        var peer = ssl.RemoteCertificate is X509Certificate2 server ? CertificateIdentity.GetSpiffeUri(server) : null;
        await ssl.WriteAsync(Encoding.ASCII.GetBytes("GET /charge HTTP/1.1\r\nHost: payments\r\nConnection: close\r\n\r\n"), timeout.Token);
        using var reader = new StreamReader(ssl);
        var response = await reader.ReadToEndAsync(timeout.Token);
        return (ssl.SslProtocol, peer, response);
    }
}
