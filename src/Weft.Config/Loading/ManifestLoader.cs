using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Weft.Config.Model;
using YamlDotNet.Core;

namespace Weft.Config.Loading;

/// <summary>The resources read from one or more manifests, and every problem found on the way.</summary>
public sealed class LoadResult
{
    /// <summary>The resources read without error: what a config is made of.</summary>
    public List<Resource> Resources { get; } = [];

    /// <summary>
    /// Resources that were read but hold an invalid value (reported in <see cref="Diagnostics"/>).
    /// Never applied; `weft analyze` still checks their references, as Istio's analyzers do.
    /// </summary>
    public List<Resource> Rejected { get; } = [];

    public List<ConfigDiagnostic> Diagnostics { get; } = [];
    public bool HasErrors => Diagnostics.Exists(d => d.Severity == DiagnosticSeverity.Error);

    public void Add(LoadResult other)
    {
        Resources.AddRange(other.Resources);
        Rejected.AddRange(other.Rejected);
        Diagnostics.AddRange(other.Diagnostics);
    }
}

/// <summary>
/// Reads Kubernetes-style YAML (or JSON) manifests into typed resources, strictly: a syntax
/// error, an unknown field, a value of the wrong type or an invalid value is reported with file,
/// line, field and reason. Kubernetes' own kinds (Service, Pod, Deployment, Namespace, …) are read
/// leniently: their fields the mesh does not use are tolerated. Pure: it reads only the text it is given.
/// </summary>
public static partial class ManifestLoader
{
    private static readonly JsonSerializerOptions SerializerOptions = CreateSerializerOptions(JsonUnmappedMemberHandling.Disallow);
    private static readonly JsonSerializerOptions LenientSerializerOptions = CreateSerializerOptions(JsonUnmappedMemberHandling.Skip);

    public static LoadResult Load(string text, string file)
    {
        var result = new LoadResult();
        IReadOnlyList<PositionedDocument> documents;
        try
        {
            documents = YamlDocumentReader.Read(text);
        }
        catch (YamlException e)
        {
            result.Diagnostics.Add(new ConfigDiagnostic(DiagnosticSeverity.Error, DiagnosticCodes.YamlSyntax,
                new SourceLocation(file, (int)e.Start.Line, (int)e.Start.Column), null, "", "invalid YAML: " + YamlMessage(e)));
            return result;
        }
        catch (DuplicateKeyException e)
        {
            result.Diagnostics.Add(new ConfigDiagnostic(DiagnosticSeverity.Error, DiagnosticCodes.YamlSyntax,
                new SourceLocation(file, e.Line, e.Column), null, e.Path, "duplicate key"));
            return result;
        }

        foreach (var document in documents)
        {
            LoadDocument(document, file, result);
        }

        return result;
    }

    /// <summary>
    /// Reads one object an API server holds (its JSON). It has no lines a user wrote, so every
    /// location — of the loader's diagnostics and of the compiler's later ones — is
    /// <paramref name="origin"/>, e.g. "VirtualService payments/split".
    /// </summary>
    public static LoadResult LoadObject(string json, string origin)
    {
        var loaded = Load(json, origin);
        var location = new SourceLocation(origin, 0, 0);
        foreach (var resource in loaded.Resources.Concat(loaded.Rejected))
        {
            resource.Source = location;
            resource.Locator = _ => location;
        }

        var result = new LoadResult();
        result.Resources.AddRange(loaded.Resources);
        result.Rejected.AddRange(loaded.Rejected);
        result.Diagnostics.AddRange(loaded.Diagnostics.Select(d => d with { Location = location }));
        return result;
    }

    private static void LoadDocument(PositionedDocument document, string file, LoadResult result)
    {
        SourceLocation At(string path)
        {
            var (line, column) = document.Locate(path);
            return new SourceLocation(file, line, column);
        }

        void Error(string code, string? resource, string path, string message) =>
            result.Diagnostics.Add(new ConfigDiagnostic(DiagnosticSeverity.Error, code, At(path), resource, path, message));

        if (document.Root is not JsonObject root)
        {
            Error(DiagnosticCodes.SchemaError, null, "", "a manifest document must be a mapping with apiVersion, kind, metadata and spec");
            return;
        }

        if (root["kind"] is JsonValue kindValue && kindValue.GetValueKind() == JsonValueKind.String && kindValue.GetValue<string>() == "List")
        {
            Error(DiagnosticCodes.UnknownKind, null, "kind", "kind List is not supported; write one document per resource, separated by '---'");
            return;
        }

        var apiVersion = StringField(root, "apiVersion");
        var kind = StringField(root, "kind");
        if (apiVersion is null || kind is null)
        {
            Error(DiagnosticCodes.SchemaError, null, apiVersion is null ? "apiVersion" : "kind", $"missing {(apiVersion is null ? "apiVersion" : "kind")}");
            return;
        }

        var name = (root["metadata"] as JsonObject)?["name"] is JsonValue n && n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : null;
        var reference = $"{kind} {name ?? "<unnamed>"}";
        var resolution = ResourceKinds.Resolve(apiVersion, kind);
        if (!resolution.Read)
        {
            result.Diagnostics.Add(new ConfigDiagnostic(resolution.SkipSeverity, DiagnosticCodes.UnknownKind, At("kind"), reference, "kind", resolution.SkipReason!));
            return;
        }

        // A list item with no value (`- ` alone, `[~]`) is refused where it is; no schema has a use for one.
        if (EmptyListItem(root, "") is { } empty)
        {
            Error(DiagnosticCodes.SchemaError, reference, empty, "a list item has no value");
            return;
        }

        Resource resource;
        try
        {
            resource = (Resource)root.Deserialize(resolution.Type!, resolution.Lenient ? LenientSerializerOptions : SerializerOptions)!;
        }
        catch (JsonException e)
        {
            var path = FieldPath.FromJsonPath(e.Path);
            var (message, fieldPath) = DescribeJsonError(e, path);
            Error(DiagnosticCodes.SchemaError, reference, fieldPath, message);
            return;
        }

        resource.Source = At("");
        resource.Locator = At;
        reference = resource.Reference;
        if (resource.SpecIsNull)
        {
            Error(DiagnosticCodes.SchemaError, reference, "spec", "spec has no value: expected an object");
            return;
        }

        if (string.IsNullOrEmpty(resource.Metadata.Name))
        {
            Error(DiagnosticCodes.SchemaError, reference, "metadata.name", "metadata.name is required");
            return;
        }

        var errorsBefore = result.Diagnostics.Count;
        foreach (var (path, message) in ResourceValidator.Validate(resource))
        {
            Error(DiagnosticCodes.InvalidValue, reference, path, message);
        }

        foreach (var path in NotImplementedFields.Find(resource))
        {
            result.Diagnostics.Add(new ConfigDiagnostic(DiagnosticSeverity.Warning, DiagnosticCodes.UnsupportedField, At(path), reference, path,
                "this field is not implemented by Weft yet and has no effect"));
        }

        foreach (var (path, message) in ResourceValidator.NotImplementedValues(resource))
        {
            result.Diagnostics.Add(new ConfigDiagnostic(DiagnosticSeverity.Warning, DiagnosticCodes.UnsupportedField, At(path), reference, path, message));
        }

        var valid = !result.Diagnostics.Skip(errorsBefore).Any(d => d.Severity == DiagnosticSeverity.Error);
        (valid ? result.Resources : result.Rejected).Add(resource);
    }

    private static string? StringField(JsonObject root, string name) =>
        root[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static string? EmptyListItem(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject fields:
                foreach (var (name, value) in fields)
                {
                    if (EmptyListItem(value, FieldPath.Append(path, name)) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonArray items:
                for (var i = 0; i < items.Count; i++)
                {
                    var itemPath = FieldPath.Index(path, i);
                    if (items[i] is null)
                    {
                        return itemPath;
                    }

                    if (EmptyListItem(items[i], itemPath) is { } nested)
                    {
                        return nested;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static (string Message, string Path) DescribeJsonError(JsonException e, string path)
    {
        var unmapped = UnmappedPropertyPattern().Match(e.Message);
        if (unmapped.Success)
        {
            var field = unmapped.Groups[1].Value;
            var typeName = unmapped.Groups[2].Value;
            var fieldPath = path.EndsWith(field, StringComparison.Ordinal) ? path : FieldPath.Append(path, field);
            return ($"unknown field '{field}' in {ShortTypeName(typeName)}", fieldPath);
        }

        if (e.InnerException is FormatException format)
        {
            return (format.Message, path);
        }

        var conversion = ConversionPattern().Match(e.Message);
        if (conversion.Success)
        {
            return ($"expected {DescribeType(conversion.Groups[1].Value)}", path);
        }

        return (e.Message.Split(" Path:", 2)[0], path);
    }

    private static string ShortTypeName(string typeName) => typeName[(typeName.LastIndexOf('.') + 1)..];

    private static string DescribeType(string clrType) => clrType switch
    {
        _ when clrType.StartsWith("System.Int32", StringComparison.Ordinal) || clrType.StartsWith("System.Int64", StringComparison.Ordinal)
            || clrType.Contains("System.Int32", StringComparison.Ordinal) && clrType.StartsWith("System.Nullable", StringComparison.Ordinal) => "an integer",
        _ when clrType.Contains("System.Boolean", StringComparison.Ordinal) => "true or false",
        _ when clrType.StartsWith("System.String", StringComparison.Ordinal) => "a string",
        _ when clrType.StartsWith("System.Collections.Generic.List", StringComparison.Ordinal) => "a list",
        _ when clrType.StartsWith("System.Collections.Generic.Dictionary", StringComparison.Ordinal) => "a mapping",
        _ when clrType.Contains("Weft.Config.Model.Duration", StringComparison.Ordinal) => "a duration such as 1s or 250ms",
        _ => $"a {ShortTypeName(clrType.TrimEnd(']'))} mapping",
    };

    private static string YamlMessage(YamlException e)
    {
        var message = e.InnerException?.Message ?? e.Message;
        var close = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith('(') && close > 0 ? message[(close + 3)..] : message;
    }

    private static JsonSerializerOptions CreateSerializerOptions(JsonUnmappedMemberHandling unmappedMembers)
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            UnmappedMemberHandling = unmappedMembers,
            PropertyNameCaseInsensitive = false,
            // `spec: ~` or `ports:` with nothing after it is refused at its line, not read as a null nothing expects.
            RespectNullableAnnotations = true,
        };
        options.Converters.Add(new LenientStringConverter());
        options.Converters.Add(new DurationConverter());
        options.Converters.Add(new IntOrStringConverter());
        options.Converters.Add(new NonNullMapConverterFactory());
        return options;
    }

    [GeneratedRegex("The JSON property '(.*)' could not be mapped to any .NET member contained in type '([^']*)'")]
    private static partial Regex UnmappedPropertyPattern();

    [GeneratedRegex(@"could not be converted to ([^\s]+)\.")]
    private static partial Regex ConversionPattern();
}
