using System.Text.Json.Nodes;
using Weft.Kubernetes.Api;

namespace Weft.Kubernetes.Install;

/// <summary>
/// The CustomResourceDefinitions of the kinds Weft reads, for clusters that lack them (a cluster
/// with Istio or the Gateway API already has its own, which are used as they are). The schema
/// keeps every field: Weft's validating webhook and loader check values, with their own messages.
/// </summary>
public static class MeshCustomResources
{
    /// <summary>Versions served besides the storage version (first), as Istio's and the Gateway API's own CRDs serve them.</summary>
    private static readonly Dictionary<string, string[]> Versions = new(StringComparer.Ordinal)
    {
        ["VirtualService"] = ["v1", "v1beta1", "v1alpha3"],
        ["DestinationRule"] = ["v1", "v1beta1", "v1alpha3"],
        ["PeerAuthentication"] = ["v1", "v1beta1"],
        ["AuthorizationPolicy"] = ["v1", "v1beta1"],
        ["RequestAuthentication"] = ["v1", "v1beta1"],
        ["HTTPRoute"] = ["v1", "v1beta1"],
        ["GRPCRoute"] = ["v1"],
    };

    public static string NameOf(ApiResource kind) => $"{kind.Plural}.{kind.Group}";

    public static IEnumerable<JsonObject> All() => ApiResource.MeshKinds.Select(Definition);

    public static JsonObject Definition(ApiResource kind)
    {
        var versions = new JsonArray();
        foreach (var (version, index) in Versions[kind.Kind].Select((v, i) => (v, i)))
        {
            versions.Add(new JsonObject
            {
                ["name"] = version,
                ["served"] = true,
                ["storage"] = index == 0,
                ["schema"] = new JsonObject
                {
                    ["openAPIV3Schema"] = new JsonObject
                    {
                        ["type"] = "object",
                        ["x-kubernetes-preserve-unknown-fields"] = true,
                    },
                },
                ["subresources"] = new JsonObject { ["status"] = new JsonObject() },
            });
        }

        var metadata = new JsonObject
        {
            ["name"] = NameOf(kind),
            ["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = "weft" },
        };
        if (kind.Group.EndsWith(".k8s.io", StringComparison.Ordinal))
        {
            // The API server demands this of groups under k8s.io; the Gateway API's own CRDs carry their approval.
            metadata["annotations"] = new JsonObject { ["api-approved.kubernetes.io"] = "unapproved, Weft's stand-in until the Gateway API's own CRDs are installed" };
        }

        return new JsonObject
        {
            ["apiVersion"] = "apiextensions.k8s.io/v1",
            ["kind"] = "CustomResourceDefinition",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["group"] = kind.Group,
                ["scope"] = "Namespaced",
                ["names"] = new JsonObject
                {
                    ["kind"] = kind.Kind,
                    ["plural"] = kind.Plural,
                    ["singular"] = kind.Kind.ToLowerInvariant(),
                    ["listKind"] = kind.Kind + "List",
                },
                ["versions"] = versions,
            },
        };
    }
}
