using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Config.Registry;

namespace Weft.Mesh.Analysis;

/// <summary>
/// Which workloads run without a sidecar, and why. Kubernetes (Istio's injection checks):
/// IST0102 NamespaceNotInjected — a namespace with no injection label at all; IST0123
/// NamespaceMultipleInjectionLabels — istio-injection=enabled, istio.io/rev and ambient mode
/// mixed; IST0103 PodMissingProxy — a pod in an injected namespace without its proxy. Local mode:
/// WEFT0204 — a Workload with `mesh: false`.
/// </summary>
internal static class SidecarInjection
{
    private static readonly string[] SystemNamespaces = ["kube-system", "kube-public", "kube-node-lease", "local-path-storage"];

    public static IEnumerable<ConfigDiagnostic> Find(AnalysisInput input)
    {
        var injected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var @namespace in input.OfType<KubernetesNamespace>())
        {
            if (@namespace.Name == input.Options.RootNamespace || Array.IndexOf(SystemNamespaces, @namespace.Name) >= 0)
            {
                continue;
            }

            var labels = @namespace.Metadata.Labels;
            var legacy = labels.GetValueOrDefault(KubernetesWorkloads.InjectionLabel);
            var revision = labels.ContainsKey(KubernetesWorkloads.RevisionLabel);
            var ambient = labels.GetValueOrDefault(KubernetesWorkloads.DataplaneModeLabel) == "ambient";
            var modes = (legacy == "enabled" ? 1 : 0) + (revision ? 1 : 0) + (ambient ? 1 : 0);
            if (modes > 1)
            {
                yield return AnalysisInput.Finding(DiagnosticSeverity.Warning, "IST0123", @namespace, "metadata.labels",
                    $"The namespace {@namespace.Name} has more than one way of joining the mesh (istio-injection=enabled, istio.io/rev, istio.io/dataplane-mode=ambient) — fix: keep one label");
            }
            else if (legacy is null && !revision && !ambient)
            {
                yield return AnalysisInput.Finding(DiagnosticSeverity.Info, "IST0102", @namespace, "metadata.name",
                    $"The namespace is not enabled for Istio injection: its pods get no sidecar — fix: kubectl label namespace {@namespace.Name} istio-injection=enabled");
            }
            else if (legacy == "enabled" || revision)
            {
                injected.Add(@namespace.Name);
            }
        }

        foreach (var pod in input.OfType<Pod>().Where(p => injected.Contains(p.Namespace)))
        {
            var inject = pod.Metadata.Labels.GetValueOrDefault(KubernetesWorkloads.SidecarInject) ?? pod.Metadata.Annotations.GetValueOrDefault(KubernetesWorkloads.SidecarInject);
            if (string.Equals(inject, "false", StringComparison.OrdinalIgnoreCase) || pod.Spec.HostNetwork == true)
            {
                continue; // deliberately out of the mesh
            }

            if (!pod.Spec.Containers.Any(c => c.Name == KubernetesWorkloads.ProxyContainer && !string.IsNullOrEmpty(c.Image)))
            {
                yield return AnalysisInput.Finding(DiagnosticSeverity.Warning, "IST0103", pod, "spec.containers",
                    $"The pod {pod.Namespace}/{pod.Name} is missing the Istio proxy although its namespace is injected — fix: restart the pod so that it is injected");
            }
        }

        foreach (var workload in input.OfType<Workload>().Where(w => !w.Spec.Mesh))
        {
            yield return AnalysisInput.Finding(DiagnosticSeverity.Warning, "WEFT0204", workload, "spec.mesh",
                "this workload has no sidecar: its traffic is neither encrypted nor governed by the mesh — fix: remove `mesh: false`");
        }
    }
}
