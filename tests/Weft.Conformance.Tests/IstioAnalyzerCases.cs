using System.Text.Json;
using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Mesh.Analysis;
using Weft.Mesh.Model;

namespace Weft.Conformance.Tests;

/// <summary>One case of Istio's analyzer test grid (shared/conformance/istio-analyzers/cases.json).</summary>
public sealed record IstioCase(string Name, string Analyzer, List<string> InputFiles, string? MeshConfigFile, List<IstioMessage> Expected);

/// <summary>An expected analyzer message: its type name (ReferencedResourceNotFound), code, level and origin ("Kind ns/name").</summary>
public sealed record IstioMessage(string Message, string Code, string Level, string Origin);

public enum CaseStatus
{
    Passed,
    Failed,
    Skipped,
}

/// <summary>How one case went: what Istio expects and what Weft reported, for the case's analyzer concern.</summary>
public sealed record CaseOutcome(IstioCase Case, CaseStatus Status, string Detail);

/// <summary>
/// Runs Istio's analyzer test cases through `weft analyze`'s pipeline (loader, compiler and
/// analyzers) and compares, for the case's analyzer, the (code, origin) pairs — with Istio's
/// multiplicity — to Istio's expected messages.
/// </summary>
public static class IstioAnalyzerCases
{
    public const string Folder = "istio-analyzers";

    /// <summary>Cases about features Weft does not implement, by analyzer or by case name, with the reason.</summary>
    public static readonly IReadOnlyDictionary<string, string> Unsupported = new Dictionary<string, string>
    {
        ["destinationrule.CaCertificateAnalyzer"] = "DestinationRule trafficPolicy.tls (TLS origination with caCertificates) is not implemented by Weft",
        ["virtualservice.JWTClaimRouteAnalyzer"] = "JWT claim routing needs RequestAuthentication and an ingress Gateway; Weft implements neither",
        ["virtualServiceDestinationHosts"] = "which destination hosts exist depends here on ServiceEntry hosts and on exportTo (VirtualService exportTo, the networking.istio.io/exportTo Service annotation); Weft implements neither",
    };

    /// <summary>Which of Weft's findings belong to each Istio analyzer (the codes it reports, on the kinds it reports them).</summary>
    private static readonly Dictionary<string, Func<ConfigDiagnostic, bool>> Concerns = new()
    {
        ["injection.Analyzer"] = f => f.Code is "IST0102" or "IST0103" or "IST0123",
        ["service.PortNameAnalyzer"] = f => f.Code is "IST0118" or "IST0150",
        ["virtualservice.ConflictingMeshGatewayHostsAnalyzer"] = f => f.Code is "IST0109",
        ["virtualservice.DestinationHostAnalyzer"] = f => f.Code is "IST0112" || (f.Code is "IST0101" && OnKind(f, "VirtualService") && !f.Field.EndsWith(".subset", StringComparison.Ordinal)),
        ["virtualservice.DestinationRuleAnalyzer"] = f => f.Code is "IST0101" && OnKind(f, "VirtualService") && f.Field.EndsWith(".subset", StringComparison.Ordinal),
        ["virtualservice.JWTClaimRouteAnalyzer"] = f => f.Code is "IST0149",
        ["deployment.ServiceAssociationAnalyzer"] = f => f.Code is "IST0116" or "IST0137",
        ["authz.AuthorizationPoliciesAnalyzer"] = f => f.Code is "IST0127" or "IST0101" && OnKind(f, "AuthorizationPolicy"),
        ["destinationrule.CaCertificateAnalyzer"] = f => f.Code is "IST0128" or "IST0129",
        ["schemaValidation.CollectionValidationAnalyzer"] = f => f.Code is "IST0130" or "IST0131",
        ["destinationrule.PodNotSelectedAnalyzer"] = f => f.Code is "IST0173" or "IST0174",
    };

    /// <summary>Istio's message type for each code Weft reports under Istio's name.</summary>
    private static readonly Dictionary<string, string> MessageTypes = new()
    {
        ["IST0101"] = "ReferencedResourceNotFound",
        ["IST0102"] = "NamespaceNotInjected",
        ["IST0103"] = "PodMissingProxy",
        ["IST0109"] = "ConflictingMeshGatewayVirtualServiceHosts",
        ["IST0112"] = "VirtualServiceDestinationPortSelectorRequired",
        ["IST0116"] = "DeploymentAssociatedToMultipleServices",
        ["IST0118"] = "PortNameIsNotUnderNamingConvention",
        ["IST0123"] = "NamespaceMultipleInjectionLabels",
        ["IST0127"] = "NoMatchingWorkloadsFound",
        ["IST0130"] = "VirtualServiceUnreachableRule",
        ["IST0131"] = "VirtualServiceIneffectiveMatch",
        ["IST0137"] = "DeploymentConflictingPorts",
        ["IST0150"] = "ExternalNameServiceTypeInvalidPortName",
        ["IST0173"] = "DestinationRuleSubsetNotSelectPods",
        ["IST0174"] = "UnknownDestinationRuleHost",
    };

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true };

    public static IReadOnlyList<IstioCase> Load(string folder)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "cases.json")));
        return document.RootElement.GetProperty("cases").Deserialize<List<IstioCase>>(JsonOptions)!;
    }

    public static CaseOutcome Run(IstioCase @case, string folder)
    {
        if (Unsupported.TryGetValue(@case.Name, out var reason) || Unsupported.TryGetValue(@case.Analyzer, out reason))
        {
            return new CaseOutcome(@case, CaseStatus.Skipped, reason);
        }

        if (!Concerns.TryGetValue(@case.Analyzer, out var concern))
        {
            return new CaseOutcome(@case, CaseStatus.Failed, $"no mapping from Istio's {@case.Analyzer} to Weft's findings");
        }

        var loaded = new LoadResult();
        foreach (var file in @case.InputFiles)
        {
            loaded.Add(ManifestLoader.Load(File.ReadAllText(Path.Combine(folder, file)), file));
        }

        var findings = MeshAnalyzer.Analyze(loaded, new MeshOptions());
        var origins = OriginsByReference(loaded);
        var actual = findings.Where(concern).Select(f => (f.Code, Origin: f.Resource is { } r ? origins.GetValueOrDefault(r, r) : "")).ToList();
        var expected = @case.Expected.Select(e => (e.Code, e.Origin)).ToList();

        var missing = Subtract(expected, actual);
        var unexpected = Subtract(actual, expected);
        var wrongTypes = @case.Expected.Where(e => MessageTypes.GetValueOrDefault(e.Code) != e.Message).Select(e => $"{e.Code} is {e.Message} in Istio").ToList();
        if (missing.Count == 0 && unexpected.Count == 0 && wrongTypes.Count == 0)
        {
            return new CaseOutcome(@case, CaseStatus.Passed, $"{expected.Count} finding(s) as expected");
        }

        var detail = string.Join("; ", new[]
        {
            missing.Count > 0 ? "missing: " + string.Join(", ", missing.Select(m => $"{m.Code} {m.Origin}")) : null,
            unexpected.Count > 0 ? "unexpected: " + string.Join(", ", unexpected.Select(m => $"{m.Code} {m.Origin}")) : null,
            wrongTypes.Count > 0 ? "code meaning differs: " + string.Join(", ", wrongTypes) : null,
        }.Where(s => s is not null));
        var report = string.Join("\n", findings.Where(concern).Select(f => "  " + f));
        return new CaseOutcome(@case, CaseStatus.Failed, detail + (report.Length > 0 ? "\nWeft reported:\n" + report : ""));
    }

    private static bool OnKind(ConfigDiagnostic finding, string kind) => finding.Resource?.StartsWith(kind + " ", StringComparison.Ordinal) == true;

    /// <summary>Istio names a resource "Kind name" when its manifest gives no namespace; Weft places it in "default".</summary>
    private static Dictionary<string, string> OriginsByReference(LoadResult loaded)
    {
        var origins = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var resource in loaded.Resources.Concat(loaded.Rejected))
        {
            origins.TryAdd(resource.Reference, string.IsNullOrEmpty(resource.Metadata.Namespace) ? $"{resource.Kind} {resource.Name}" : resource.Reference);
        }

        return origins;
    }

    private static List<(string Code, string Origin)> Subtract(List<(string Code, string Origin)> from, List<(string Code, string Origin)> remove)
    {
        var left = new List<(string Code, string Origin)>(from);
        foreach (var item in remove)
        {
            left.Remove(item);
        }

        return left;
    }
}
