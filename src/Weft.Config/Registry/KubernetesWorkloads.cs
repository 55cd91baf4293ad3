using Weft.Config.Model;

namespace Weft.Config.Registry;

/// <summary>
/// The workloads that Kubernetes objects describe, as Weft's <see cref="Workload"/>: one per Pod
/// and one per Deployment, StatefulSet, DaemonSet or ReplicaSet (from its pod template) — with
/// labels, namespace, service account, container ports and whether a sidecar is injected, decided
/// the way Istio decides it. Pure.
/// </summary>
public static class KubernetesWorkloads
{
    public const string InjectionLabel = "istio-injection";
    public const string RevisionLabel = "istio.io/rev";
    public const string DataplaneModeLabel = "istio.io/dataplane-mode";
    public const string SidecarInject = "sidecar.istio.io/inject";
    public const string ProxyContainer = "istio-proxy";

    /// <summary>Node labels Istio adds to the labels of the pods a node runs (locality).</summary>
    private static readonly string[] TopologyLabels = ["topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone"];

    public static List<Workload> From(IReadOnlyList<Resource> resources)
    {
        var namespaces = resources.OfType<KubernetesNamespace>().GroupBy(n => n.Name).ToDictionary(g => g.Key, g => g.First());
        var nodes = resources.OfType<Node>().GroupBy(n => n.Name).ToDictionary(g => g.Key, g => g.First());
        var workloads = new List<Workload>();
        foreach (var resource in resources)
        {
            switch (resource)
            {
                case Pod pod:
                    workloads.Add(ToWorkload(pod, pod.Metadata, pod.Spec, 1, WithNodeLabels(pod.Metadata.Labels, pod.Spec.NodeName, nodes),
                        HasSidecar(pod.Metadata, pod.Spec, namespaces.GetValueOrDefault(pod.Namespace))));
                    break;
                case WorkloadController controller:
                    var template = controller.Spec.Template;
                    workloads.Add(ToWorkload(controller, template.Metadata, template.Spec, controller.Spec.Replicas ?? 1, template.Metadata.Labels,
                        HasSidecar(template.Metadata, template.Spec, namespaces.GetValueOrDefault(controller.Namespace))));
                    break;
            }
        }

        return workloads;
    }

    /// <summary>
    /// Istio's rule: an istio-proxy container means a sidecar; else the pod's sidecar.istio.io/inject
    /// label, then annotation; else the namespace's istio-injection=enabled label.
    /// </summary>
    public static bool HasSidecar(ObjectMeta pod, PodSpec spec, KubernetesNamespace? @namespace)
    {
        if (spec.Containers.Concat(spec.InitContainers ?? []).Any(c => c.Name == ProxyContainer && !string.IsNullOrEmpty(c.Image)))
        {
            return true;
        }

        if (pod.Labels.TryGetValue(SidecarInject, out var label))
        {
            return label == "true";
        }

        if (pod.Annotations.TryGetValue(SidecarInject, out var annotation))
        {
            return annotation == "true";
        }

        return @namespace?.Metadata.Labels.GetValueOrDefault(InjectionLabel) == "enabled";
    }

    private static Dictionary<string, string> WithNodeLabels(Dictionary<string, string> labels, string? nodeName, Dictionary<string, Node> nodes)
    {
        if (nodeName is null || !nodes.TryGetValue(nodeName, out var node))
        {
            return labels;
        }

        var augmented = new Dictionary<string, string>(labels, StringComparer.Ordinal);
        foreach (var key in TopologyLabels)
        {
            if (node.Metadata.Labels.TryGetValue(key, out var value))
            {
                augmented[key] = value;
            }
        }

        augmented["kubernetes.io/hostname"] = nodeName;
        return augmented;
    }

    private static Workload ToWorkload(Resource owner, ObjectMeta podMetadata, PodSpec spec, int replicas, Dictionary<string, string> labels, bool sidecar)
    {
        var workload = new Workload
        {
            ApiVersion = owner.ApiVersion,
            Kind = owner.Kind,
            Metadata = new ObjectMeta
            {
                Name = owner.Name,
                Namespace = owner.Metadata.Namespace,
                Labels = labels,
                Annotations = podMetadata.Annotations,
                CreationTimestamp = owner.Metadata.CreationTimestamp,
            },
            Spec = new WorkloadSpec
            {
                ServiceAccount = spec.ServiceAccountName ?? spec.ServiceAccount ?? "default",
                Ports = spec.Containers.SelectMany(c => c.Ports ?? [])
                    .Where(p => p.ContainerPort is >= 1 and <= 65535)
                    .DistinctBy(p => p.ContainerPort)
                    .Select(p => new WorkloadPort { Name = p.Name, Port = p.ContainerPort, Protocol = p.Protocol })
                    .ToList(),
                Replicas = replicas,
                Mesh = sidecar,
            },
        };
        workload.Source = owner.Source;
        workload.Locator = owner.Locator;
        return workload;
    }
}
