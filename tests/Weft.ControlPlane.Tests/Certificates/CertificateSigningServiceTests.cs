using System.Security.Cryptography;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Weft.Config.Model;
using Weft.ControlPlane.Certificates;
using Weft.ControlPlane.Hosting;
using Weft.ControlPlane.Registry;
using Weft.ControlPlane.State;
using Weft.Mesh.Model;
using Weft.Protocol.Identity;
using Weft.Protocol.V1;

namespace Weft.ControlPlane.Tests.Certificates;

/// <summary>A bootstrap token gets its own workload's certificate and nothing else; a refusal is logged.</summary>
public sealed class CertificateSigningServiceTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("weft-signing-").FullName;
    private readonly LocalRegistry _registry = new();
    private readonly RecordingLogger _log = new();
    private readonly CertificateSigningService _service;
    private readonly string _checkoutToken;

    public CertificateSigningServiceTests()
    {
        var authority = Weft.ControlPlane.Certificates.CertificateAuthority.LoadOrCreate(Path.Combine(_directory, "ca"), "cluster.local", TimeProvider.System);
        _checkoutToken = _registry.Register(Instance("shop", "checkout", "checkout"));
        _registry.Register(Instance("payments", "payments-v1", "payments"));
        _service = new CertificateSigningService(authority, _registry, new ProxyTracker(),
            new ControlPlaneOptions { ConfigDirectory = _directory, StateDirectory = _directory }, TimeProvider.System, _log);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static WorkloadInstance Instance(string @namespace, string name, string serviceAccount) => new()
    {
        Workload = new Workload { Metadata = new ObjectMeta { Name = name, Namespace = @namespace }, Spec = new WorkloadSpec { ServiceAccount = serviceAccount, Command = ["x"] } },
        Name = name,
        Endpoints = new Dictionary<int, string>(),
        AppAddresses = new Dictionary<int, string>(),
    };

    private static SignRequest Request(string @namespace, string workload, string token, SpiffeId identity)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new SignRequest { Node = new Protocol.V1.Node { Namespace = @namespace, Workload = workload, BootstrapToken = token }, CsrPem = WorkloadCsr.CreatePem(key, identity) };
    }

    [Fact]
    public async Task A_token_gets_the_certificate_of_its_own_workload()
    {
        var response = await _service.Sign(Request("shop", "checkout", _checkoutToken, new SpiffeId("cluster.local", "shop", "checkout")), null!);

        Assert.NotEmpty(response.CertificateChainPem);
    }

    [Fact]
    public async Task A_token_cannot_obtain_another_workloads_certificate_by_naming_it()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _service.Sign(Request("payments", "payments-v1", _checkoutToken, new SpiffeId("cluster.local", "payments", "payments")), null!));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("payments/payments-v1", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_CSR_for_a_different_spiffe_id_is_refused_and_logged()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _service.Sign(Request("shop", "checkout", _checkoutToken, new SpiffeId("cluster.local", "payments", "payments")), null!));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("spiffe://cluster.local/ns/payments/sa/payments", error.Status.Detail, StringComparison.Ordinal);
        var (level, message) = Assert.Single(_log.Entries);
        Assert.Equal(LogLevel.Warning, level);
        Assert.StartsWith("Refused a CSR from shop/checkout:", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_removed_instances_token_no_longer_signs()
    {
        _registry.Remove("shop/checkout");

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _service.Sign(Request("shop", "checkout", _checkoutToken, new SpiffeId("cluster.local", "shop", "checkout")), null!));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    private sealed class RecordingLogger : ILogger<CertificateSigningService>
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Warning)
            {
                Entries.Add((logLevel, formatter(state, exception)));
            }
        }
    }
}
