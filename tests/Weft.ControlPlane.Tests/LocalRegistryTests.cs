using Weft.Config.Model;
using Weft.ControlPlane.Registry;
using Weft.Mesh.Model;

namespace Weft.ControlPlane.Tests;

public sealed class LocalRegistryTests
{
    private static WorkloadInstance Instance(string name) => new()
    {
        Workload = new Workload { Metadata = new ObjectMeta { Name = name, Namespace = "shop" }, Spec = new WorkloadSpec() },
        Name = name,
        Endpoints = new Dictionary<int, string>(),
        AppAddresses = new Dictionary<int, string>(),
    };

    [Theory]
    [InlineData(0, 3)] // no batch: every registration recompiles
    [InlineData(1, 1)] // a batch: once, at its end
    [InlineData(2, 1)] // nested batches: once, when the outermost ends
    public void Registrations_in_a_batch_raise_changed_once_when_it_ends(int nesting, int expected)
    {
        var registry = new LocalRegistry();
        var changes = 0;
        registry.Changed += () => changes++;

        var scopes = Enumerable.Range(0, nesting).Select(_ => registry.Batch()).ToList();
        foreach (var name in new[] { "a", "b", "c" })
        {
            registry.Register(Instance(name));
        }

        Assert.Equal(nesting == 0 ? 3 : 0, changes);
        foreach (var scope in Enumerable.Reverse(scopes))
        {
            scope.Dispose();
            scope.Dispose(); // disposing twice ends the batch once
        }

        Assert.Equal(expected, changes);
        Assert.Equal(3, registry.Instances.Count);
    }

    [Fact]
    public void A_batch_with_no_registration_raises_nothing()
    {
        var registry = new LocalRegistry();
        var changes = 0;
        registry.Changed += () => changes++;

        registry.Batch().Dispose();

        Assert.Equal(0, changes);
    }

    [Fact]
    public void Readiness_changes_recompile_once_each_and_an_unchanged_one_not_at_all()
    {
        var registry = new LocalRegistry();
        registry.Register(Instance("a"));
        var changes = 0;
        registry.Changed += () => changes++;

        Assert.True(registry.SetReady("shop/a", false));
        Assert.False(registry.SetReady("shop/a", false));
        Assert.False(registry.SetReady("shop/missing", true));

        Assert.Equal(1, changes);
        Assert.False(registry.Find("shop/a")!.Ready);
        Assert.True(registry.SetReady("shop/a", true));
        Assert.Equal(2, changes);
    }

    [Fact]
    public void A_removed_instance_is_gone_and_its_bootstrap_token_no_longer_works()
    {
        var registry = new LocalRegistry();
        var token = registry.Register(Instance("a"));
        var other = registry.Register(Instance("b"));
        Assert.NotNull(registry.Authenticate(token, "a", "shop"));

        registry.Remove("shop/a");

        Assert.Null(registry.Find("shop/a"));
        Assert.Null(registry.Authenticate(token, "a", "shop"));
        Assert.NotNull(registry.Authenticate(other, "b", "shop"));
        Assert.Equal(["shop/b"], registry.Instances.Select(i => i.Key));
    }
}
