using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Weft.Protocol.Identity;
using Weft.Protocol.V1;
using Weft.Proxy.Tls;

namespace Weft.Proxy.Tests.Tls;

public sealed class CertificateManagerTests : IDisposable
{
    private static readonly SpiffeId Checkout = new("cluster.local", "shop", "checkout");
    private readonly string _directory = Directory.CreateTempSubdirectory("weft-renew-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Renews_at_half_life_keeping_the_old_certificate_until_the_new_one_is_in_hand()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var ca = ControlPlane.Certificates.CertificateAuthority.LoadOrCreate(_directory, "cluster.local", time);
        var signed = 0;
        var failNext = false;
        Task<SignResponse> Sign(SignRequest request, CancellationToken cancellation)
        {
            if (failNext)
            {
                failNext = false;
                throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.Unavailable, "control plane away"));
            }

            Interlocked.Increment(ref signed);
            var issued = ca.Sign(request.CsrPem, Checkout);
            var response = new SignResponse();
            response.CertificateChainPem.Add(issued.LeafPem);
            response.TrustBundlePem.AddRange(issued.TrustBundlePem);
            return Task.FromResult(response);
        }

        var store = new CredentialStore();
        var manager = new CertificateManager(Sign, new Node { Workload = "checkout", Namespace = "shop" }, Checkout, store, time, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        await manager.InitializeAsync(stop.Token);
        var first = store.Current!;
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/checkout", first.SpiffeId);
        Assert.True(first.Leaf.HasPrivateKey);

        var renewal = manager.RunRenewalAsync(stop.Token);
        time.Advance(TimeSpan.FromHours(11));
        await Task.Delay(50);
        Assert.Same(first, store.Current);

        failNext = true; // the first renewal attempt fails: the current certificate must stay
        time.Advance(TimeSpan.FromHours(1.1));
        await PollAsync(() => failNext == false);
        Assert.Same(first, store.Current);

        for (var i = 0; i < 20 && ReferenceEquals(first, store.Current); i++)
        {
            time.Advance(TimeSpan.FromSeconds(1)); // past the retry backoff
            await Task.Delay(20);
        }

        Assert.NotSame(first, store.Current);
        Assert.Equal(2, signed);
        Assert.True(store.Current!.NotAfter > first.NotAfter);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => renewal);
    }

    private static async Task PollAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}
