using System.Collections.Concurrent;
using Weft.ControlPlane.Registry;
using Weft.Kubernetes.Informers;
using Weft.Kubernetes.Mapping;
using Weft.Mesh.Model;

namespace Weft.Kubernetes.Registry;

/// <summary>
/// The cluster's pods as the mesh's instances, kept current by a pod informer: a pod that becomes
/// Ready joins its services' endpoints, one that is not Ready (or is terminating) leaves them.
/// </summary>
public sealed class KubernetesRegistry : IWorkloadRegistry
{
    private readonly IReadOnlyList<ResourceInformer> _pods;
    private readonly ConcurrentDictionary<string, InstanceRuntime> _runtime = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private volatile IReadOnlyList<WorkloadInstance> _instances = [];

    /// <summary>Pod informers: one over every namespace, or one per namespace of the mesh.</summary>
    public KubernetesRegistry(IReadOnlyList<ResourceInformer> pods)
    {
        _pods = pods;
        foreach (var informer in pods)
        {
            informer.Changed += _ => Rebuild();
        }
    }

    public IReadOnlyList<WorkloadInstance> Instances => _instances;

    public event Action? Changed;

    public InstanceRuntime Runtime(string key) => _runtime.GetOrAdd(key, _ => new InstanceRuntime());

    public WorkloadInstance? Find(string key) => _instances.FirstOrDefault(i => i.Key == key);

    private void Rebuild()
    {
        lock (_gate)
        {
            var instances = new List<WorkloadInstance>();
            var keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var pod in _pods.SelectMany(p => p.Items))
            {
                if (PodInstances.From(pod) is not { } placed)
                {
                    continue;
                }

                instances.Add(placed.Instance);
                keys.Add(placed.Instance.Key);
                Describe(Runtime(placed.Instance.Key), placed);
            }

            foreach (var key in _runtime.Keys.Where(k => !keys.Contains(k)))
            {
                _runtime.TryRemove(key, out _);
            }

            instances.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            if (instances.SequenceEqual(_instances, InstanceComparer.Instance))
            {
                return;
            }

            _instances = instances;
        }

        Changed?.Invoke();
    }

    private static void Describe(InstanceRuntime runtime, PodInstance placed)
    {
        var facts = placed.Facts;
        runtime.Address = facts.Address;
        runtime.AppRunning = facts.AppRunning;
        runtime.SidecarRunning = facts.SidecarRunning;
        runtime.AppExitCode = facts.AppExitCode;
        runtime.SidecarExitCode = facts.SidecarExitCode;
        runtime.AdminPort = placed.Instance.Meshed ? PodInstances.AdminPort : null;
        runtime.OutboundPort = placed.Instance.Meshed ? PodInstances.OutboundCapturePort : null;
        foreach (var port in facts.Ports)
        {
            runtime.AppPorts[port] = port;
            runtime.InboundPorts[port] = port;
        }
    }

    /// <summary>A pod event that changes nothing the mesh reads (a status heartbeat) does not recompile the mesh.</summary>
    private sealed class InstanceComparer : IEqualityComparer<WorkloadInstance>
    {
        public static readonly InstanceComparer Instance = new();

        public bool Equals(WorkloadInstance? a, WorkloadInstance? b) =>
            a is not null && b is not null && a.Key == b.Key && a.Ready == b.Ready && a.Meshed == b.Meshed
            && a.Workload.Spec.ServiceAccount == b.Workload.Spec.ServiceAccount
            && a.Endpoints.OrderBy(e => e.Key).SequenceEqual(b.Endpoints.OrderBy(e => e.Key))
            && a.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).SequenceEqual(b.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
            && a.Workload.Spec.Ports.Select(p => (p.Name, p.Port)).SequenceEqual(b.Workload.Spec.Ports.Select(p => (p.Name, p.Port)));

        public int GetHashCode(WorkloadInstance obj) => obj.Key.GetHashCode(StringComparison.Ordinal);
    }
}
