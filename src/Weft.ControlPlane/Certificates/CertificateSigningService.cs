using Grpc.Core;
using Microsoft.Extensions.Logging;
using Weft.ControlPlane.Registry;
using Weft.ControlPlane.State;
using Weft.Protocol.Identity;
using Weft.Protocol.V1;

namespace Weft.ControlPlane.Certificates;

/// <summary>
/// Signs proxies' CSRs: the bootstrap token proves which workload asks, and the certificate can
/// only carry that workload's SPIFFE identity.
/// </summary>
public sealed partial class CertificateSigningService(
    CertificateAuthority authority,
    IProxyAuthenticator authenticator,
    ProxyTracker tracker,
    Hosting.ControlPlaneOptions options,
    TimeProvider time,
    ILogger<CertificateSigningService> logger) : Protocol.V1.CertificateAuthority.CertificateAuthorityBase
{
    public override async Task<SignResponse> Sign(SignRequest request, ServerCallContext context)
    {
        var node = request.Node ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "the request must name the node"));
        var authentication = await authenticator.AuthenticateAsync(node.BootstrapToken, node.Workload, node.Namespace, context?.CancellationToken ?? CancellationToken.None);
        var instance = authentication.Instance ?? throw new RpcException(new Status(StatusCode.Unauthenticated, authentication.Refusal ?? "unauthenticated"));

        var identity = new SpiffeId(authority.TrustDomain, instance.Namespace, instance.Workload.Spec.ServiceAccount);
        IssuedCertificate issued;
        try
        {
            issued = authority.Sign(request.CsrPem, identity, request.TtlSeconds > 0 ? TimeSpan.FromSeconds(request.TtlSeconds) : options.CertificateLifetime);
        }
        catch (CertificateSigningException e)
        {
            Log.Refused(logger, instance.Key, e.Message);
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }

        var status = tracker.Get(instance.Key);
        status.CertificateExpiry = issued.Leaf.NotAfter.ToUniversalTime();
        status.CertificateIssuedAt = time.GetUtcNow();
        status.CertificateIssuer = issued.Leaf.Issuer;
        status.Identity = identity.ToString();
        Log.Issued(logger, identity.ToString(), instance.Key, issued.Leaf.NotAfter.ToUniversalTime());

        var response = new SignResponse();
        response.CertificateChainPem.Add(issued.LeafPem);
        response.TrustBundlePem.AddRange(issued.TrustBundlePem);
        return response;
    }

    private static partial class Log
    {
        [LoggerMessage(20, LogLevel.Information, "Issued {Identity} to {Proxy}, valid until {NotAfter:u}")]
        public static partial void Issued(ILogger logger, string identity, string proxy, DateTime notAfter);

        [LoggerMessage(21, LogLevel.Warning, "Refused a CSR from {Proxy}: {Reason}")]
        public static partial void Refused(ILogger logger, string proxy, string reason);
    }
}
