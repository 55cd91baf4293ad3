using Microsoft.Extensions.Logging.Abstractions;
using Weft.Config.Loading;
using Weft.ControlPlane.State;
using Weft.Mesh.Model;

namespace Weft.ControlPlane.Tests;

public sealed class MeshStateTests
{
    private const string Workloads = """
        apiVersion: weft.dev/v1alpha1
        kind: Workload
        metadata: {name: web, namespace: shop, labels: {app: web, version: v1}}
        spec: {serviceAccount: web, ports: [{port: 8080}], command: [web]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: shop}
        spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
        """;

    private const string Route = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: web, namespace: shop}
        spec:
          hosts: [web]
          http:
          - route:
            - destination: {host: web}
              weight: 100
            timeout: 3s
        """;

    private static MeshState NewState() => new(new MeshOptions(), TimeProvider.System, NullLogger<MeshState>.Instance);

    private static LoadResult Load(params string[] documents)
    {
        var result = new LoadResult();
        foreach (var (text, i) in documents.Select((d, i) => (d, i)))
        {
            result.Add(ManifestLoader.Load(text, $"file{i}.yaml"));
        }

        return result;
    }

    private static IReadOnlyList<WorkloadInstance> Instances(LoadResult loaded) => loaded.Resources.OfType<Config.Model.Workload>().Select(w => new WorkloadInstance
    {
        Workload = w,
        Name = w.Name,
        Endpoints = new Dictionary<int, string> { [8080] = "127.0.0.1:30001" },
        AppAddresses = new Dictionary<int, string> { [8080] = "127.0.0.1:30002" },
    }).ToList();

    [Fact]
    public void A_valid_config_is_published_with_a_new_version()
    {
        var state = NewState();
        var loaded = Load(Workloads, Route);
        PublishedMesh? published = null;
        state.Published += p => published = p;

        Assert.True(state.Apply(loaded, Instances(loaded)));

        Assert.NotNull(published);
        Assert.Equal(1, published.Version);
        Assert.Equal("1", published.Proxies["shop/web"].Version);
        Assert.Null(state.LastRejection);
    }

    [Theory]
    [InlineData("weight: 100", "weight: lots", "file1.yaml:9:")]
    [InlineData("host: web}", "host: web, subset: v9}", "file1.yaml:8:")]
    [InlineData("weight: 100", "weight: [100", "file1.yaml:9:")]
    public void An_invalid_config_is_rejected_and_the_last_good_one_stays(string from, string to, string location)
    {
        var state = NewState();
        var good = Load(Workloads, Route);
        Assert.True(state.Apply(good, Instances(good)));
        var before = state.Current;

        var bad = Load(Workloads, Route.Replace(from, to));
        Assert.False(state.Apply(bad, Instances(good)));

        Assert.Same(before, state.Current);
        var error = Assert.Single(state.LastRejection!.Errors);
        Assert.StartsWith(location, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_proxy_whose_config_did_not_change_keeps_its_version()
    {
        var state = NewState();
        var loaded = Load(Workloads, Route);
        state.Apply(loaded, Instances(loaded));

        var sameAgain = Load(Workloads, Route);
        Assert.True(state.Apply(sameAgain, Instances(sameAgain)));
        Assert.Equal(2, state.Current!.Version);
        Assert.Equal("1", state.Current.Proxies["shop/web"].Version);

        var changed = Load(Workloads, Route.Replace("timeout: 3s", "timeout: 5s"));
        Assert.True(state.Apply(changed, Instances(changed)));
        Assert.Equal("3", state.Current.Proxies["shop/web"].Version);
    }

    [Fact]
    public void A_rejection_is_cleared_by_the_next_good_config()
    {
        var state = NewState();
        var good = Load(Workloads, Route);
        state.Apply(good, Instances(good));
        state.Apply(Load(Workloads, Route.Replace("weight: 100", "weight: x")), Instances(good));
        Assert.NotNull(state.LastRejection);

        Assert.True(state.Apply(good, Instances(good)));
        Assert.Null(state.LastRejection);
    }
}
