using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Weft.Proxy.Protocols;

/// <summary>
/// Tells Kestrel which HTTP version a connection speaks. Kestrel picks HTTP/2 on an endpoint that
/// allows both versions only from TLS ALPN, and treats cleartext as HTTP/1.1 (dotnet/aspnetcore#56984).
/// The proxy terminates TLS itself and detects cleartext HTTP/2 (h2c) from the connection preface, so
/// it hands Kestrel the answer through the same features Kestrel's own TLS middleware sets.
/// </summary>
internal sealed class NegotiatedProtocol : ITlsConnectionFeature, ITlsApplicationProtocolFeature
{
    private NegotiatedProtocol(ReadOnlyMemory<byte> protocol, X509Certificate2? clientCertificate)
    {
        ApplicationProtocol = protocol;
        ClientCertificate = clientCertificate;
    }

    public ReadOnlyMemory<byte> ApplicationProtocol { get; }

    public X509Certificate2? ClientCertificate { get; set; }

    public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult(ClientCertificate);

    public static void Set(ConnectionContext connection, SslApplicationProtocol protocol, X509Certificate2? clientCertificate = null)
    {
        var feature = new NegotiatedProtocol(protocol.Protocol, clientCertificate);
        connection.Features.Set<ITlsConnectionFeature>(feature);
        connection.Features.Set<ITlsApplicationProtocolFeature>(feature);
    }
}
