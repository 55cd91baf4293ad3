using System.Text.Json.Nodes;
using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Kubernetes.Mapping;

namespace Weft.Kubernetes.Tests;

/// <summary>API objects read by the same loader as manifests: same types, same validation, the object's reference as origin.</summary>
public sealed class ApiObjectsTests
{
    private const string Stored = """
        {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
         "metadata": {"name": "split", "namespace": "payments", "uid": "u-1", "resourceVersion": "42", "generation": 3,
                      "creationTimestamp": "2026-12-04T10:00:00Z", "selfLink": "/apis/x", "finalizers": ["f"],
                      "managedFields": [{"manager": "kubectl", "operation": "Apply"}],
                      "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
         "spec": {"hosts": ["payments"], "http": [{"route": [{"destination": {"host": "payments", "subset": "v1"}, "weight": WEIGHT},
                                                            {"destination": {"host": "payments", "subset": "v2"}, "weight": 10}]}]},
         "status": {"observedGeneration": 3}}
        """;

    [Fact]
    public void The_manifest_keeps_what_a_user_writes_and_drops_the_servers_bookkeeping()
    {
        var manifest = ApiObjects.ToManifest(Parse(90));

        Assert.Equal(["apiVersion", "kind", "metadata", "spec"], manifest.Select(p => p.Key));
        Assert.Equal(["name", "namespace", "annotations", "uid", "resourceVersion", "generation", "creationTimestamp"], ((JsonObject)manifest["metadata"]!).Select(p => p.Key));
    }

    [Theory]
    [InlineData(90, true, null)]
    [InlineData(20, false, "spec.http[0].route")]
    public void An_object_is_validated_as_a_manifest_and_named_by_its_reference(int weight, bool valid, string? field)
    {
        var loaded = ApiObjects.Load(Parse(weight));

        Assert.Equal(valid, !loaded.HasErrors);
        if (valid)
        {
            var resource = Assert.IsType<VirtualService>(Assert.Single(loaded.Resources));
            Assert.Equal("VirtualService payments/split", resource.Reference);
            Assert.Equal("VirtualService payments/split", resource.Locate("spec.http[0]").ToString());
            return;
        }

        var error = Assert.Single(loaded.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(field, error.Field);
        Assert.Equal("VirtualService payments/split", error.Location.ToString());
        Assert.Contains("100", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments"}}""", "Namespace payments")]
    [InlineData("""{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "payments", "namespace": "shop"}}""", "Service shop/payments")]
    public void The_reference_names_kind_namespace_and_name(string json, string reference) =>
        Assert.Equal(reference, ApiObjects.Reference((JsonObject)JsonNode.Parse(json)!));

    private static JsonObject Parse(int weight) => (JsonObject)JsonNode.Parse(Stored.Replace("WEIGHT", weight.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))!;
}
