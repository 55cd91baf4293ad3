using System.Globalization;
using System.Text;

namespace Weft.ControlPlane.Interception;

/// <summary>
/// How a meshed pod's traffic reaches its sidecar — the job of Istio's istio-init and Linkerd's
/// proxy-init — as iptables-restore input for the pod's own network namespace. One set of rules
/// for both runtimes that have pods: transparent local mode and Kubernetes. Pure.
/// </summary>
public static class PodCapture
{
    /// <summary>The sidecar runs with this group; its own connections are never captured (Istio uses uid 1337).</summary>
    public const int ProxyGroupId = 1337;
    public const int OutboundCapturePort = 15001;
    public const int InboundCapturePort = 15006;
    public const int AdminPort = 15000;

    /// <summary>
    /// The nat table: every inbound TCP connection but the admin port's goes to the sidecar's
    /// inbound capture port; every outbound one the app opens (not to loopback) to its outbound
    /// capture port; the sidecar's own (group <see cref="ProxyGroupId"/>) leave as they are.
    /// </summary>
    public static string RedirectRules() => new StringBuilder()
        .Append("*nat\n")
        .Append(":PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n")
        .Append(":WEFT_INBOUND - [0:0]\n:WEFT_OUTPUT - [0:0]\n")
        .Append("-A PREROUTING -p tcp -j WEFT_INBOUND\n")
        .Append(Invariant($"-A WEFT_INBOUND -p tcp --dport {AdminPort} -j RETURN\n"))
        .Append(Invariant($"-A WEFT_INBOUND -p tcp -j REDIRECT --to-ports {InboundCapturePort}\n"))
        .Append("-A OUTPUT -p tcp -j WEFT_OUTPUT\n")
        .Append(Invariant($"-A WEFT_OUTPUT -m owner --gid-owner {ProxyGroupId} -j RETURN\n"))
        .Append("-A WEFT_OUTPUT -d 127.0.0.0/8 -j RETURN\n")
        .Append(Invariant($"-A WEFT_OUTPUT -p tcp -j REDIRECT --to-ports {OutboundCapturePort}\n"))
        .Append("COMMIT\n")
        .ToString();

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
