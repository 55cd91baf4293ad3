using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Protocol.V1;

namespace Weft.Mesh.Compilation;

/// <summary>One ProxyConfig per meshed instance (keyed "namespace/instance"), and what was wrong.</summary>
public sealed class CompileResult
{
    public Dictionary<string, ProxyConfig> Proxies { get; } = new(StringComparer.Ordinal);
    public List<ConfigDiagnostic> Diagnostics { get; } = [];
    public bool HasErrors => Diagnostics.Exists(d => d.Severity == DiagnosticSeverity.Error);

    internal void Error(Resource resource, string field, string message, string code = DiagnosticCodes.ReferenceNotFound) =>
        Diagnostics.Add(new ConfigDiagnostic(DiagnosticSeverity.Error, code, resource.Locate(field), resource.Reference, field, message));

    internal void Warning(Resource resource, string field, string code, string message) =>
        Diagnostics.Add(new ConfigDiagnostic(DiagnosticSeverity.Warning, code, resource.Locate(field), resource.Reference, field, message));
}
