using System.Globalization;
using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Config.Registry;
using Weft.Mesh.Compilation;

namespace Weft.Mesh.Analysis;

/// <summary>
/// Istio's checks of a meshed Deployment against the Services that select its pods:
/// IST0116 DeploymentAssociatedToMultipleServices — two Services give the same port different
/// protocols; IST0137 DeploymentConflictingPorts — two Services send different ports to the same
/// target port.
/// </summary>
internal static class ServiceAssociation
{
    public static IEnumerable<ConfigDiagnostic> Find(AnalysisInput input)
    {
        var namespaces = input.OfType<KubernetesNamespace>().GroupBy(n => n.Name).ToDictionary(g => g.Key, g => g.First());
        var services = input.OfType<Service>().ToList();
        foreach (var deployment in input.OfType<WorkloadController>().Where(c => c.Kind == "Deployment"))
        {
            var template = deployment.Spec.Template;
            if (deployment.Metadata.Labels.GetValueOrDefault("gateway.istio.io/managed") == "istio.io-mesh-controller"
                || !KubernetesWorkloads.HasSidecar(template.Metadata, template.Spec, namespaces.GetValueOrDefault(deployment.Namespace)))
            {
                continue; // a waypoint, or not in the mesh
            }

            var selecting = services.Where(s => s.Namespace == deployment.Namespace && s.Spec.Selector is { Count: > 0 } selector
                && Labels.Match(selector, template.Metadata.Labels)).ToList();

            var protocolsByPort = selecting.SelectMany(s => s.Spec.Ports.Select(p => (p.Port, Protocol: string.IsNullOrEmpty(p.Protocol) ? "TCP" : p.Protocol, Service: s.Name)))
                .GroupBy(p => p.Port);
            foreach (var port in protocolsByPort.OrderBy(g => g.Key))
            {
                if (port.Select(p => p.Protocol).Distinct(StringComparer.Ordinal).Count() > 1)
                {
                    yield return AnalysisInput.Finding(DiagnosticSeverity.Warning, "IST0116", deployment, "metadata.name",
                        $"This deployment {deployment.Name} is associated with multiple services using port {port.Key} but different protocols: {string.Join(",", port.Select(p => p.Service).Distinct().Order(StringComparer.Ordinal))} — fix: use one protocol per port across these Services");
                }
            }

            var portsByTarget = selecting.SelectMany(s => s.Spec.Ports.Select(p => (Target: TargetOf(p), p.Port, Service: s.Name)))
                .GroupBy(p => p.Target, StringComparer.Ordinal);
            foreach (var target in portsByTarget.OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var ports = target.Select(p => p.Port).Distinct().Order().ToList();
                if (ports.Count > 1)
                {
                    yield return AnalysisInput.Finding(DiagnosticSeverity.Warning, "IST0137", deployment, "metadata.name",
                        $"This deployment {deployment.Name} is associated with multiple services {string.Join(",", target.Select(p => p.Service).Distinct().Order(StringComparer.Ordinal))} using targetPort {target.Key} but different ports: {string.Join(",", ports)} — fix: send one port to each target port");
                }
            }
        }
    }

    private static string TargetOf(ServicePort port) =>
        port.TargetPort is { } target && target.ToString() is { Length: > 0 } text && text != "0" ? text : port.Port.ToString(CultureInfo.InvariantCulture);
}
