using System.Text.Json.Serialization;

namespace Weft.Config.Model;

// Kubernetes objects read as the registry — which workloads exist, with which labels, namespace,
// service account and sidecar. Only the fields the mesh uses are modelled; Kubernetes fields Weft
// does not use are tolerated (these kinds are read leniently, unlike Istio's and Weft's own).

/// <summary>A Kubernetes Namespace: its labels decide sidecar injection.</summary>
public sealed class KubernetesNamespace : Resource
{
    [JsonIgnore]
    public override bool ClusterScoped => true;
}

/// <summary>A Kubernetes Node: its topology labels are added to the labels of the pods it runs, as Istio does.</summary>
public sealed class Node : Resource
{
    [JsonIgnore]
    public override bool ClusterScoped => true;
}

/// <summary>A Kubernetes Pod: one running workload instance.</summary>
public sealed class Pod : Resource<PodSpec>;

/// <summary>A Deployment, StatefulSet, DaemonSet or ReplicaSet: its pod template describes the pods it runs.</summary>
public sealed class WorkloadController : Resource<WorkloadControllerSpec>;

public sealed class WorkloadControllerSpec
{
    public int? Replicas { get; init; }
    public LabelSelector? Selector { get; init; }
    public PodTemplate Template { get; init; } = new();
}

public sealed class LabelSelector
{
    public Dictionary<string, string>? MatchLabels { get; init; }
}

public sealed class PodTemplate
{
    public ObjectMeta Metadata { get; init; } = new();
    public PodSpec Spec { get; init; } = new();
}

public sealed class PodSpec
{
    public string? ServiceAccountName { get; init; }
    /// <summary>The deprecated alias of serviceAccountName.</summary>
    public string? ServiceAccount { get; init; }
    public string? NodeName { get; init; }
    public bool? HostNetwork { get; init; }
    public List<Container> Containers { get; init; } = [];
    public List<Container>? InitContainers { get; init; }
}

public sealed class Container
{
    public string Name { get; init; } = "";
    public string? Image { get; init; }
    public List<ContainerPortSpec>? Ports { get; init; }
}

public sealed class ContainerPortSpec
{
    public string? Name { get; init; }
    public int ContainerPort { get; init; }
    public string? Protocol { get; init; }
}
