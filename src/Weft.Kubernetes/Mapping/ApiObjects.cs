using System.Text.Json.Nodes;
using Weft.Config.Loading;

namespace Weft.Kubernetes.Mapping;

/// <summary>
/// Objects from the API server as the config loader reads manifests: the same types, the same
/// validation and the same field/reason text, with the object's reference where a file would be. Pure.
/// </summary>
public static class ApiObjects
{
    /// <summary>The metadata the loader models; the rest (managedFields, ownerReferences, …) is the API server's bookkeeping.</summary>
    private static readonly string[] MetadataFields = ["name", "namespace", "labels", "annotations", "uid", "resourceVersion", "generation", "creationTimestamp"];

    public static string Name(JsonObject item) => item["metadata"]?["name"]?.GetValue<string>() ?? "";

    public static string? Namespace(JsonObject item) => item["metadata"]?["namespace"]?.GetValue<string>() is { Length: > 0 } ns ? ns : null;

    public static string? Uid(JsonObject item) => item["metadata"]?["uid"]?.GetValue<string>();

    public static string? ResourceVersion(JsonObject item) => item["metadata"]?["resourceVersion"]?.GetValue<string>();

    /// <summary>"Kind namespace/name" ("Kind name" when cluster-scoped), as the loader names resources.</summary>
    public static string Reference(JsonObject item)
    {
        var kind = item["kind"]?.GetValue<string>() ?? "";
        var ns = Namespace(item);
        return ns is null ? $"{kind} {Name(item)}" : $"{kind} {ns}/{Name(item)}";
    }

    /// <summary>The object as a user's manifest has it: apiVersion, kind, the modelled metadata, spec; no status.</summary>
    public static JsonObject ToManifest(JsonObject item)
    {
        var manifest = new JsonObject
        {
            ["apiVersion"] = item["apiVersion"]?.DeepClone(),
            ["kind"] = item["kind"]?.DeepClone(),
        };
        var metadata = new JsonObject();
        if (item["metadata"] is JsonObject source)
        {
            foreach (var field in MetadataFields)
            {
                if (source[field] is { } value)
                {
                    metadata[field] = value.DeepClone();
                }
            }
        }

        manifest["metadata"] = metadata;
        if (item["spec"] is { } spec)
        {
            manifest["spec"] = spec.DeepClone();
        }

        return manifest;
    }

    /// <summary>Loads and validates the object with the manifest loader.</summary>
    public static LoadResult Load(JsonObject item) => ManifestLoader.LoadObject(ToManifest(item).ToJsonString(), Reference(item));
}
