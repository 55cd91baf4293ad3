using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Mesh.Model;
using Weft.Protocol.V1;

namespace Weft.Mesh.Compilation;

/// <summary>
/// The mesh's brain: compiles a snapshot (resources + running instances) into the exact config
/// each proxy runs. A pure function — the same snapshot always gives the same configs — so the
/// control plane, the analyzers and the explainer all see what the proxies do.
/// </summary>
public static class MeshCompiler
{
    public static CompileResult Compile(MeshSnapshot snapshot)
    {
        var result = new CompileResult();
        var services = new ServiceIndex(snapshot);
        var routing = new RouteCompiler(snapshot, services, result);
        var peerAuthentication = new PeerAuthenticationResolver(snapshot);
        var authorization = new AuthorizationCompiler(snapshot, result);
        var requestAuthentication = new RequestAuthenticationCompiler(snapshot);

        ReportDuplicates(snapshot, result);

        // Routes are the same for every client in a namespace (unless a match names sourceLabels):
        // compile them once per namespace.
        var outboundByClient = new Dictionary<string, (List<VirtualHost> Hosts, List<Cluster> Clusters)>(StringComparer.Ordinal);
        foreach (var instance in snapshot.Instances.Where(i => i.Meshed).OrderBy(i => i.Key, StringComparer.Ordinal))
        {
            var clientKey = routing.DependsOnClientLabels ? instance.Key : instance.Namespace;
            if (!outboundByClient.TryGetValue(clientKey, out var outbound))
            {
                outbound = routing.CompileOutbound(instance);
                outboundByClient[clientKey] = outbound;
            }

            var config = new ProxyConfig { Workload = Identity(instance, snapshot.Options) };
            config.Inbound.AddRange(Inbound(instance, services, peerAuthentication));
            config.Outbound.AddRange(outbound.Hosts);
            config.Clusters.AddRange(outbound.Clusters);
            config.Authorization.AddRange(authorization.For(instance));
            config.JwtRules.AddRange(requestAuthentication.For(instance));
            result.Proxies[instance.Key] = config;
        }

        return result;
    }

    /// <summary>Every service port with its virtual IPs and backends (see <see cref="ServiceBackends"/>).</summary>
    public static IReadOnlyList<ServiceBackends> Backends(MeshSnapshot snapshot)
    {
        var backends = new List<ServiceBackends>();
        foreach (var service in new ServiceIndex(snapshot).All)
        {
            var addresses = ServiceAddresses.Of(service, snapshot).ToList();
            foreach (var (port, instances) in service.Ports)
            {
                backends.Add(new ServiceBackends(service.Fqdn, service.Name, service.Namespace, addresses, port.Port,
                    instances.Where(b => b.Instance.Ready).Select(b => new ServiceBackend(b.Instance.Key, b.WorkloadPort)).ToList()));
            }
        }

        return backends;
    }

    internal static WorkloadIdentity Identity(WorkloadInstance instance, MeshOptions options)
    {
        var labels = instance.Labels;
        var identity = new WorkloadIdentity
        {
            Name = instance.Name,
            Namespace = instance.Namespace,
            ServiceAccount = instance.Workload.Spec.ServiceAccount,
            SpiffeId = SpiffeIdOf(instance, options),
            CanonicalService = labels.GetValueOrDefault("service.istio.io/canonical-name") ?? labels.GetValueOrDefault("app") ?? instance.Workload.Name,
            CanonicalRevision = labels.GetValueOrDefault("service.istio.io/canonical-revision") ?? labels.GetValueOrDefault("version") ?? "latest",
        };
        identity.Labels.Add(labels.ToDictionary());
        return identity;
    }

    internal static string SpiffeIdOf(WorkloadInstance instance, MeshOptions options) =>
        $"spiffe://{options.TrustDomain}/ns/{instance.Namespace}/sa/{instance.Workload.Spec.ServiceAccount}";

    private static IEnumerable<InboundPort> Inbound(WorkloadInstance instance, ServiceIndex services, PeerAuthenticationResolver peerAuthentication)
    {
        foreach (var port in instance.Workload.Spec.Ports)
        {
            if (!instance.AppAddresses.TryGetValue(port.Port, out var appAddress))
            {
                continue;
            }

            var (mode, policy) = peerAuthentication.Resolve(instance, port.Port);
            var inbound = new InboundPort
            {
                Port = (uint)port.Port,
                Name = port.Name ?? "",
                AppAddress = appAddress,
                MtlsMode = mode,
                MtlsPolicy = policy,
                AppProtocol = AppProtocols.Of(port.AppProtocol, port.Name),
            };
            foreach (var service in services.All)
            {
                if (service.Ports.Exists(p => p.Backends.Exists(b => b.Instance == instance && b.WorkloadPort == port.Port)))
                {
                    inbound.Services.Add(service.Fqdn);
                }
            }

            yield return inbound;
        }
    }

    private static void ReportDuplicates(MeshSnapshot snapshot, CompileResult result)
    {
        var seen = new HashSet<(string, string, string)>();
        foreach (var resource in snapshot.Resources)
        {
            if (!seen.Add((resource.Kind, resource.Namespace, resource.Name)))
            {
                result.Error(resource, "metadata.name", $"{resource.Reference} is defined more than once; names must be unique per kind and namespace",
                    DiagnosticCodes.DuplicateResource);
            }
        }
    }
}
