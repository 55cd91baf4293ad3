using Weft.Proxy.Tls;

namespace Weft.Proxy.Tests.Tls;

/// <summary>The certificate and the trusted roots, as a root rotation changes them from two sides.</summary>
public sealed class CredentialStoreTests : IDisposable
{
    private readonly TestIdentities _identities = new();

    public void Dispose() => _identities.Dispose();

    [Fact]
    public void Before_the_config_names_roots_a_certificate_brings_its_own()
    {
        var store = new CredentialStore();
        var issued = _identities.For("shop", "checkout");

        store.Update(issued);

        Assert.Same(issued, store.Current);
    }

    [Fact]
    public void Roots_the_config_names_replace_the_bundle_and_keep_the_certificate()
    {
        var store = new CredentialStore();
        var issued = _identities.For("shop", "checkout");
        store.Update(issued);
        var newRoot = TestIdentities.Impostor("shop", "checkout").TrustBundle;

        store.UpdateTrust(newRoot);

        Assert.Same(issued.Leaf, store.Current!.Leaf);
        Assert.Equal(newRoot, store.Current.TrustBundle);
    }

    [Fact]
    public void A_certificate_issued_after_a_root_was_retired_does_not_bring_the_retired_root_back()
    {
        // The signing response still carried both roots; the config that retired one was applied first.
        var store = new CredentialStore();
        store.Update(_identities.For("shop", "checkout"));
        var onlyNew = TestIdentities.Impostor("shop", "checkout").TrustBundle;
        store.UpdateTrust(onlyNew);
        var late = _identities.For("shop", "checkout");

        store.Update(late);

        Assert.Same(late.Leaf, store.Current!.Leaf);
        Assert.Equal(onlyNew, store.Current.TrustBundle);
    }

    [Fact]
    public async Task Roots_named_before_the_first_certificate_apply_to_it()
    {
        var store = new CredentialStore();
        var roots = TestIdentities.Impostor("shop", "checkout").TrustBundle;
        store.UpdateTrust(roots);
        Assert.Null(store.Current);
        Assert.False(store.WaitForFirstAsync(CancellationToken.None).IsCompleted);

        store.Update(_identities.For("shop", "checkout"));

        Assert.Equal(roots, (await store.WaitForFirstAsync(CancellationToken.None)).TrustBundle);
    }
}
