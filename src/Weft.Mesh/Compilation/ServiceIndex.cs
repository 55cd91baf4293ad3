using Weft.Config.Model;
using Weft.Mesh.Model;

namespace Weft.Mesh.Compilation;

/// <summary>A Service with its FQDN and, per service port, the instances and workload ports behind it.</summary>
internal sealed class IndexedService(Service service, string fqdn)
{
    public Service Service { get; } = service;
    public string Fqdn { get; } = fqdn;
    public string Name => Service.Name;
    public string Namespace => Service.Namespace;
    public List<(ServicePort Port, List<(WorkloadInstance Instance, int WorkloadPort)> Backends)> Ports { get; } = [];

    public ServicePort? FindPort(int number) => Ports.Find(p => p.Port.Port == number).Port;
}

/// <summary>The services of a snapshot, by FQDN, with the endpoints their selectors pick.</summary>
internal sealed class ServiceIndex
{
    private readonly Dictionary<string, IndexedService> _byFqdn = new(StringComparer.Ordinal);

    public ServiceIndex(MeshSnapshot snapshot)
    {
        foreach (var service in snapshot.OfType<Service>().OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal))
        {
            var indexed = new IndexedService(service, service.Fqdn(snapshot.Options.ClusterDomain));
            var selected = snapshot.Instances
                .Where(i => i.Namespace == service.Namespace && service.Spec.Selector is { Count: > 0 } selector && Labels.Match(selector, i.Labels))
                .OrderBy(i => i.Name, StringComparer.Ordinal)
                .ToList();
            foreach (var port in service.Spec.Ports)
            {
                var backends = new List<(WorkloadInstance, int)>();
                foreach (var instance in selected)
                {
                    if (ResolveTargetPort(port, instance.Workload) is { } workloadPort)
                    {
                        backends.Add((instance, workloadPort));
                    }
                }

                indexed.Ports.Add((port, backends));
            }

            _byFqdn.TryAdd(indexed.Fqdn, indexed);
        }
    }

    public IEnumerable<IndexedService> All => _byFqdn.Values;

    public IndexedService? Find(string fqdn) => _byFqdn.GetValueOrDefault(fqdn);

    /// <summary>Services named <paramref name="name"/> across all namespaces.</summary>
    public int CountNamed(string name) => _byFqdn.Values.Count(s => s.Name == name);

    public bool Exists(string name, string @namespace) => _byFqdn.Values.Any(s => s.Name == name && s.Namespace == @namespace);

    private static int? ResolveTargetPort(ServicePort port, Workload workload)
    {
        var target = port.TargetPort;
        if (target is { Text: { } portName })
        {
            return workload.Spec.Ports.Find(p => p.Name == portName)?.Port;
        }

        var number = target?.Number ?? port.Port;
        return workload.Spec.Ports.Exists(p => p.Port == number) ? number : null;
    }
}

internal static class Labels
{
    /// <summary>True when every selector label is present with the same value.</summary>
    public static bool Match(IReadOnlyDictionary<string, string> selector, IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (key, value) in selector)
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        return true;
    }
}
