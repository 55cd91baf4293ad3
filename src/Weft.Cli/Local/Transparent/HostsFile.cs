using System.Text;
using Weft.Mesh.Model;

namespace Weft.Cli.Local.Transparent;

/// <summary>
/// The /etc/hosts a pod sees (ip netns exec mounts /etc/netns/NAME/hosts over it): every service
/// by its FQDN, name.namespace.svc and name.namespace, and by its bare name when it is in the pod's
/// namespace or is the only service of that name — the names the mesh's routes answer to.
/// </summary>
internal static class HostsFile
{
    public static string For(string podNamespace, string podHostName, string podAddress, IReadOnlyList<ServiceBackends> services)
    {
        var text = new StringBuilder()
            .Append("# written by weft up --transparent; removed with the mesh\n")
            .Append("127.0.0.1\tlocalhost\n")
            .Append("::1\tlocalhost ip6-localhost ip6-loopback\n")
            .Append(podAddress).Append('\t').Append(podHostName).Append('\n');
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            if (service.Addresses.Count == 0 || !seen.Add(service.Fqdn))
            {
                continue; // one line per service, not per port
            }

            var bare = service.Namespace == podNamespace
                || (CountNamed(services, service.Name) == 1);
            text.Append(service.Addresses[0]).Append('\t')
                .Append(service.Fqdn).Append(' ')
                .Append(service.Name).Append('.').Append(service.Namespace).Append(".svc ")
                .Append(service.Name).Append('.').Append(service.Namespace);
            if (bare)
            {
                text.Append(' ').Append(service.Name);
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    private static int CountNamed(IReadOnlyList<ServiceBackends> services, string name)
    {
        var namespaces = new HashSet<string>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            if (service.Name == name)
            {
                namespaces.Add(service.Namespace);
            }
        }

        return namespaces.Count;
    }
}
