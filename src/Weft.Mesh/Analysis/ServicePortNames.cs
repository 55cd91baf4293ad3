using Weft.Config.Loading;
using Weft.Config.Model;

namespace Weft.Mesh.Analysis;

/// <summary>
/// IST0118 PortNameIsNotUnderNamingConvention: a Service port whose protocol neither its
/// appProtocol nor its name (`&lt;protocol&gt;[-suffix]`) declares — the proxy has to guess it from the
/// first bytes. IST0150 ExternalNameServiceTypeInvalidPortName: the same on an ExternalName
/// Service, or a port named plain "tcp" there. Kubernetes' system namespaces and Istio's own
/// Services are left alone, as Istio does.
/// </summary>
internal static class ServicePortNames
{
    private static readonly string[] SystemNamespaces = ["kube-system", "kube-public", "kube-node-lease", "local-path-storage"];

    private static readonly string[] Protocols = ["tcp", "udp", "grpc", "grpc-web", "http", "http_proxy", "http2", "https", "tls", "mongo", "redis", "mysql", "hbone"];

    /// <summary>Ports whose protocol Istio takes as TCP when undeclared: SMTP, DNS, MySQL, MongoDB.</summary>
    private static readonly int[] WellKnownTcpPorts = [25, 53, 3306, 27017];

    public static IEnumerable<ConfigDiagnostic> Find(AnalysisInput input)
    {
        foreach (var service in input.OfType<Service>())
        {
            if (Array.IndexOf(SystemNamespaces, service.Namespace) >= 0 || service.Metadata.Labels.ContainsKey("istio")
                || service.Metadata.Labels.GetValueOrDefault("release") == "istio")
            {
                continue;
            }

            var externalName = service.Spec.Type == "ExternalName";
            for (var i = 0; i < service.Spec.Ports.Count; i++)
            {
                var port = service.Spec.Ports[i];
                if (Declared(port) && !(externalName && port.Name == "tcp"))
                {
                    continue;
                }

                yield return externalName
                    ? AnalysisInput.Finding(DiagnosticSeverity.Warning, "IST0150", service, $"spec.ports[{i}]",
                        $"Port name {(string.IsNullOrEmpty(port.Name) ? "(none)" : port.Name)} of this ExternalName service is invalid: a proxy may not forward its traffic correctly — fix: name the port after its protocol (https, tls, http, …), not plain tcp")
                    : AnalysisInput.Finding(DiagnosticSeverity.Info, "IST0118", service, $"spec.ports[{i}]",
                        $"Port name {(string.IsNullOrEmpty(port.Name) ? "(none)" : port.Name)} (port: {port.Port}, targetPort: {port.TargetPort?.ToString() ?? port.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}) doesn't follow the naming convention of Istio port: the protocol is sniffed — fix: name it <protocol>[-<suffix>] (http, grpc, tcp, …) or set appProtocol");
            }
        }
    }

    /// <summary>Istio's protocol of a Service port: UDP, else appProtocol or the name's prefix, else TCP on a well-known port.</summary>
    private static bool Declared(ServicePort port)
    {
        if (string.Equals(port.Protocol, "UDP", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var name = (port.AppProtocol ?? port.Name ?? "").ToLowerInvariant();
        if (port.AppProtocol is "kubernetes.io/h2c" or "kubernetes.io/ws" or "kubernetes.io/wss" || name.StartsWith("grpc-web", StringComparison.Ordinal))
        {
            return true;
        }

        var dash = name.IndexOf('-');
        var prefix = dash >= 0 ? name[..dash] : name;
        return Array.IndexOf(Protocols, prefix) >= 0 || Array.IndexOf(WellKnownTcpPorts, port.Port) >= 0;
    }
}
