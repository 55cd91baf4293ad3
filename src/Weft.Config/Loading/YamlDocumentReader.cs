using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Weft.Config.Loading;

/// <summary>
/// Turns YAML documents into JSON trees while remembering, for every field path, the line and
/// column it came from — so every error can point at the exact place in the user's file.
/// </summary>
internal static class YamlDocumentReader
{
    public static IReadOnlyList<PositionedDocument> Read(string text)
    {
        // Run the parser over every event first: it reports syntax errors with their position,
        // where the representation model can fail later with a bare InvalidOperationException.
        var parser = new Parser(new StringReader(text));
        var position = Mark.Empty;
        try
        {
            while (parser.MoveNext())
            {
                position = parser.Current?.End ?? position;
            }
        }
        catch (InvalidOperationException)
        {
            // The scanner fails this way on some malformed flow collections; point after the last good token.
            throw new YamlException(position, position, "malformed value after this point: check for an unclosed '[', '{' or quote");
        }

        var stream = new YamlStream();
        var modelParser = new Parser(new StringReader(text));
        try
        {
            stream.Load(modelParser);
        }
        catch (ArgumentException)
        {
            // The representation model refuses some event sequences the parser accepts (found by fuzzing): name where.
            var current = modelParser.Current;
            throw new YamlException(current?.Start ?? position, current?.End ?? position, $"unsupported YAML construct here{(current is null ? "" : $" ({current.GetType().Name})")}");
        }
        var documents = new List<PositionedDocument>(stream.Documents.Count);
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlScalarNode { Value: null or "" } && document.RootNode.Tag.IsEmpty)
            {
                continue; // an empty document between two '---'
            }

            var positions = new Dictionary<string, (int Line, int Column)>(StringComparer.Ordinal);
            var root = Convert(document.RootNode, "", positions);
            documents.Add(new PositionedDocument(root, positions, (int)document.RootNode.Start.Line, (int)document.RootNode.Start.Column));
        }

        return documents;
    }

    private static JsonNode? Convert(YamlNode node, string path, Dictionary<string, (int, int)> positions)
    {
        positions[path] = ((int)node.Start.Line, (int)node.Start.Column);
        switch (node)
        {
            case YamlMappingNode mapping:
                var obj = new JsonObject();
                foreach (var (keyNode, valueNode) in mapping.Children)
                {
                    var key = keyNode is YamlScalarNode scalarKey ? scalarKey.Value ?? "" : keyNode.ToString();
                    var childPath = FieldPath.Append(path, key);
                    positions[childPath] = ((int)keyNode.Start.Line, (int)keyNode.Start.Column);
                    var value = Convert(valueNode, childPath, positions);
                    positions[childPath] = ((int)keyNode.Start.Line, (int)keyNode.Start.Column);
                    if (obj.ContainsKey(key))
                    {
                        throw new DuplicateKeyException(childPath, (int)keyNode.Start.Line, (int)keyNode.Start.Column);
                    }

                    obj[key] = value;
                }

                return obj;
            case YamlSequenceNode sequence:
                var array = new JsonArray();
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    array.Add(Convert(sequence.Children[i], FieldPath.Index(path, i), positions));
                }

                return array;
            case YamlScalarNode scalar:
                return ConvertScalar(scalar);
            default:
                throw new YamlException(node.Start, node.End, $"unsupported YAML node {node.NodeType}");
        }
    }

    private static JsonNode? ConvertScalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is not ScalarStyle.Plain)
        {
            return JsonValue.Create(value);
        }

        // YAML 1.2 core schema for plain scalars: null, booleans, integers, floats; else a string.
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && !double.IsInfinity(number))
        {
            return JsonValue.Create(number);
        }

        return JsonValue.Create(value);
    }
}

internal sealed record PositionedDocument(JsonNode? Root, IReadOnlyDictionary<string, (int Line, int Column)> Positions, int Line, int Column)
{
    /// <summary>The position of a field path, or of its nearest ancestor that has one.</summary>
    public (int Line, int Column) Locate(string path)
    {
        while (true)
        {
            if (Positions.TryGetValue(path, out var position))
            {
                return position;
            }

            if (path.Length == 0)
            {
                return (Line, Column);
            }

            path = FieldPath.Parent(path);
        }
    }
}

internal sealed class DuplicateKeyException(string path, int line, int column) : Exception($"duplicate key {path}")
{
    public string Path { get; } = path;
    public int Line { get; } = line;
    public int Column { get; } = column;
}

/// <summary>Field paths as users read them: spec.http[0].route[1].weight.</summary>
internal static class FieldPath
{
    public static string Append(string parent, string name)
    {
        var simple = name.Length > 0 && name.AsSpan().IndexOfAny(".[]'\" ") < 0;
        var segment = simple ? name : $"['{name}']";
        return parent.Length == 0 ? segment : simple ? $"{parent}.{segment}" : parent + segment;
    }

    public static string Index(string parent, int index) => $"{parent}[{index.ToString(CultureInfo.InvariantCulture)}]";

    public static string Parent(string path)
    {
        if (path.EndsWith(']'))
        {
            var open = path.LastIndexOf('[');
            return open <= 0 ? "" : path[..open];
        }

        var dot = path.LastIndexOf('.');
        return dot < 0 ? "" : path[..dot];
    }

    /// <summary>Converts System.Text.Json's "$.spec.http[0]['a.b']" into "spec.http[0]['a.b']".</summary>
    public static string FromJsonPath(string? jsonPath)
    {
        if (string.IsNullOrEmpty(jsonPath) || jsonPath == "$")
        {
            return "";
        }

        return jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath.TrimStart('$');
    }
}
