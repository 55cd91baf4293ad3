using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Weft.Proxy.Tls;

namespace Weft.Proxy.Tests.Tls;

/// <summary>Sidecar-to-sidecar TLS over real loopback sockets, with the options the proxy uses.</summary>
public sealed class MutualTlsHandshakeTests : IDisposable
{
    private readonly TestIdentities _identities = new();

    public void Dispose() => _identities.Dispose();

    [Fact]
    public async Task Two_mesh_workloads_complete_TLS_1_3_and_each_learns_the_others_identity()
    {
        var server = _identities.For("payments", "payments");
        var client = _identities.For("shop", "checkout");

        var (clientResult, serverResult) = await HandshakeAsync(server, client, "spiffe://cluster.local/ns/payments/sa/payments");

        Assert.Null(clientResult.Error);
        Assert.Null(serverResult.Error);
        Assert.Equal(SslProtocols.Tls13, clientResult.Protocol);
        Assert.Equal("spiffe://cluster.local/ns/payments/sa/payments", clientResult.Peer);
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/checkout", serverResult.Peer);
    }

    [Fact]
    public async Task The_server_refuses_a_client_certificate_from_another_CA()
    {
        var server = _identities.For("payments", "payments");
        var impostor = TestIdentities.Impostor("shop", "checkout");

        var (_, serverResult) = await HandshakeAsync(server, impostor, expectedServer: null);

        Assert.IsAssignableFrom<AuthenticationException>(serverResult.Error);
    }

    [Fact]
    public async Task The_client_refuses_a_server_with_another_identity_than_the_endpoints()
    {
        var server = _identities.For("shop", "fraud");
        var client = _identities.For("shop", "checkout");

        var (clientResult, _) = await HandshakeAsync(server, client, "spiffe://cluster.local/ns/payments/sa/payments");

        Assert.IsAssignableFrom<AuthenticationException>(clientResult.Error);
    }

    private sealed record Result(SslProtocols Protocol, string? Peer, Exception? Error);

    private static async Task<(Result Client, Result Server)> HandshakeAsync(MeshCredentials server, MeshCredentials client, string? expectedServer)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var serverSide = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync(timeout.Token);
            await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false));
            try
            {
                await ssl.AuthenticateAsServerAsync(MtlsAuthenticationOptions.ForServer(server), timeout.Token);
                return new Result(ssl.SslProtocol, MtlsAuthenticationOptions.GetPeerSpiffeId(ssl), null);
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
                return new Result(SslProtocols.None, null, e);
            }
        });

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        await using var clientSsl = new SslStream(tcp.GetStream());
        Result clientResult;
        try
        {
            await clientSsl.AuthenticateAsClientAsync(MtlsAuthenticationOptions.ForClient(client, expectedServer ?? server.SpiffeId, SslApplicationProtocol.Http11), timeout.Token);
            // TLS 1.3: the server judges the client certificate after the client is done; a read surfaces its verdict.
            clientResult = new Result(clientSsl.SslProtocol, MtlsAuthenticationOptions.GetPeerSpiffeId(clientSsl), null);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            clientResult = new Result(SslProtocols.None, null, e);
            tcp.Close();
        }

        return (clientResult, await serverSide);
    }
}
