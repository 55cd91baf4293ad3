using Weft.Config.Model;

namespace Weft.Config.Loading;

public enum DiagnosticSeverity
{
    Error,
    Warning,
    Info,
}

/// <summary>
/// One problem found in a manifest: where (file, line, field), what, and how bad.
/// Errors stop a config from being applied; warnings (such as a field Weft does not implement) do not.
/// </summary>
public sealed record ConfigDiagnostic(
    DiagnosticSeverity Severity,
    string Code,
    SourceLocation Location,
    string? Resource,
    string Field,
    string Message)
{
    public override string ToString()
    {
        var severity = Severity.ToString().ToLowerInvariant();
        var resource = Resource is null ? "" : $" {Resource}";
        var field = string.IsNullOrEmpty(Field) ? "" : $" {Field}:";
        return $"{Location}: {severity} {Code}{resource}:{field} {Message}";
    }
}

/// <summary>Codes for problems the loader itself finds (schema and syntax), in Weft's own range.</summary>
public static class DiagnosticCodes
{
    public const string YamlSyntax = "WEFT0001";
    public const string SchemaError = "WEFT0002";
    public const string UnknownKind = "WEFT0003";
    public const string InvalidValue = "WEFT0004";
    public const string UnsupportedField = "WEFT0005";
    public const string DuplicateResource = "WEFT0006";
    public const string ReferenceNotFound = "IST0101";
}
