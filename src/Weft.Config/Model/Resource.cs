using System.Text.Json.Serialization;

namespace Weft.Config.Model;

/// <summary>Where a resource or field came from, for error messages.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}:{Column}" : File;
}

public sealed class ObjectMeta
{
    public string Name { get; init; } = "";
    public string? Namespace { get; init; }
    public Dictionary<string, string> Labels { get; init; } = [];
    public Dictionary<string, string> Annotations { get; init; } = [];
    public string? Uid { get; init; }
    public string? ResourceVersion { get; init; }
    public long? Generation { get; init; }
    public string? CreationTimestamp { get; init; }
}

/// <summary>A Kubernetes-style resource: apiVersion, kind, metadata and a typed spec.</summary>
public abstract class Resource
{
    public string ApiVersion { get; init; } = "";
    public string Kind { get; init; } = "";
    public ObjectMeta Metadata { get; init; } = new();

    /// <summary>Where the document starts; set by the loader.</summary>
    [JsonIgnore]
    public SourceLocation Source { get; internal set; }

    internal Func<string, SourceLocation>? Locator { get; set; }

    /// <summary>Where a field of this resource (e.g. "spec.http[0].route[1].weight") was written.</summary>
    public SourceLocation Locate(string fieldPath) => Locator?.Invoke(fieldPath) ?? Source;

    /// <summary>The namespace the resource lives in ("default" when the manifest omits it).</summary>
    [JsonIgnore]
    public string Namespace => string.IsNullOrEmpty(Metadata.Namespace) ? "default" : Metadata.Namespace;

    [JsonIgnore]
    public string Name => Metadata.Name;

    /// <summary>True for kinds that live outside any namespace (Namespace, Node).</summary>
    [JsonIgnore]
    public virtual bool ClusterScoped => false;

    /// <summary>"Kind namespace/name" ("Kind name" when cluster-scoped), the way Istio's analyzers name a resource.</summary>
    [JsonIgnore]
    public string Reference => ClusterScoped ? $"{Kind} {Name}" : $"{Kind} {Namespace}/{Name}";

    /// <summary>`spec:` written with no value (JSON null), which the loader refuses.</summary>
    internal virtual bool SpecIsNull => false;
}

public abstract class Resource<TSpec> : Resource where TSpec : new()
{
    public TSpec Spec { get; init; } = new();

    internal override bool SpecIsNull => Spec is null;
}
