using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Config.Registry;
using Weft.Mesh.Compilation;
using Weft.Mesh.Model;

namespace Weft.Mesh.Analysis;

/// <summary>
/// `weft analyze`: what is wrong with a set of manifests before (or while) they are applied —
/// schema errors and unsupported fields from the loader, broken references from the compiler, and
/// the mistakes that compile but bite: policies that select nothing, rules that can never match,
/// retries that cannot fit in their timeout, permissive ALLOW rules, identities no workload has.
/// Istio's analyzer code is used where Istio has the same check; Weft's own are WEFT02xx.
/// Resources the loader rejected for an invalid value are analyzed too, as far as they go (as
/// Istio's analyzers do), so one mistake does not hide the others.
/// </summary>
public static class MeshAnalyzer
{
    public static List<ConfigDiagnostic> Analyze(LoadResult loaded, MeshOptions options)
    {
        var resources = loaded.Resources.Concat(loaded.Rejected).ToList();
        var input = new AnalysisInput(resources, resources.OfType<Workload>().Concat(KubernetesWorkloads.From(resources)).ToList(), options);
        var instances = input.Workloads.Select(w => new WorkloadInstance
        {
            Workload = w,
            Name = w.Name,
            Endpoints = w.Spec.Ports.DistinctBy(p => p.Port).ToDictionary(p => p.Port, p => $"192.0.2.1:{p.Port}"),
            AppAddresses = w.Spec.Ports.DistinctBy(p => p.Port).ToDictionary(p => p.Port, p => $"192.0.2.1:{p.Port}"),
        }).ToList();

        var findings = new List<ConfigDiagnostic>(loaded.Diagnostics);
        // The compiler notes only that a later VirtualService is ignored; the host-conflict check reports every party.
        var snapshot = new MeshSnapshot(resources, instances, options);
        findings.AddRange(MeshCompiler.Compile(snapshot).Diagnostics.Where(d => d.Code != "IST0109"));
        findings.AddRange(StrictWithUnmeshedClients.Find(input, snapshot));
        findings.AddRange(TlsModeConflicts.Find(input, snapshot));
        findings.AddRange(VirtualServiceHostConflicts.Find(input));
        findings.AddRange(UnreachableRouteRules.Find(input));
        findings.AddRange(RetriesBeyondTimeout.Find(input));
        findings.AddRange(UnenforcedConnectionLimits.Find(input));
        findings.AddRange(SelectorsWithoutWorkloads.Find(input));
        findings.AddRange(AuthorizationChecks.Find(input));
        findings.AddRange(TcpAuthorizationRules.Find(input));
        findings.AddRange(DestinationRuleSubsets.Find(input));
        findings.AddRange(ServicePortNames.Find(input));
        findings.AddRange(ServiceAssociation.Find(input));
        findings.AddRange(SidecarInjection.Find(input));
        return findings.Distinct().OrderBy(f => f.Severity).ThenBy(f => f.Location.File, StringComparer.Ordinal).ThenBy(f => f.Location.Line).ToList();
    }
}

/// <summary>What every check reads: the resources, the workloads (Weft's and Kubernetes'), the mesh options.</summary>
internal sealed class AnalysisInput(IReadOnlyList<Resource> resources, IReadOnlyList<Workload> workloads, MeshOptions options)
{
    public IReadOnlyList<Resource> Resources { get; } = resources;
    public IReadOnlyList<Workload> Workloads { get; } = workloads;
    public MeshOptions Options { get; } = options;

    public IEnumerable<T> OfType<T>() where T : Resource => Resources.OfType<T>();

    /// <summary>
    /// The namespaces that exist: declared Namespace objects, every namespace a resource lives in,
    /// and "default" — local mode declares none, so a namespace in use is one that exists.
    /// </summary>
    public HashSet<string> Namespaces { get; } = resources.Select(r => r is KubernetesNamespace ? r.Name : r.Namespace).Where(n => n.Length > 0)
        .Append("default").ToHashSet(StringComparer.Ordinal);

    public static ConfigDiagnostic Finding(DiagnosticSeverity severity, string code, Resource resource, string field, string message) =>
        new(severity, code, resource.Locate(field), resource.Reference, field, message);
}
