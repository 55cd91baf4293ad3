using System.Globalization;
using System.Net;
using System.Text;
using Weft.ControlPlane.Interception;

namespace Weft.Cli.Local.Transparent;

/// <summary>
/// The iptables rules Weft installs inside a pod's network namespace (the job of Istio's
/// istio-init and Linkerd's proxy-init), as iptables-restore input. Pure: the same inputs always
/// give the same text, so they are tested as text and applied whole.
/// </summary>
internal static class CaptureRules
{
    public const int ProxyGroupId = PodCapture.ProxyGroupId;
    public const int OutboundCapturePort = PodCapture.OutboundCapturePort;
    public const int InboundCapturePort = PodCapture.InboundCapturePort;
    public const int AdminPort = PodCapture.AdminPort;

    /// <summary>
    /// A meshed pod: <see cref="PodCapture.RedirectRules"/>, and traffic to a service address that
    /// escaped capture is refused rather than sent off-host.
    /// </summary>
    public static string Meshed(IPNetwork services) => PodCapture.RedirectRules() + Filter(services);

    /// <summary>
    /// A pod without a sidecar: what kube-proxy does on a node, so its plaintext calls reach a
    /// service by name — each service address and port spread over the service's endpoints.
    /// </summary>
    public static string Unmeshed(IPNetwork services, IReadOnlyList<ServiceRoute> routes)
    {
        var text = new StringBuilder()
            .Append("*nat\n")
            .Append(":PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n")
            .Append(":WEFT_SERVICES - [0:0]\n")
            .Append("-A OUTPUT -p tcp -j WEFT_SERVICES\n");
        foreach (var route in routes)
        {
            for (var i = 0; i < route.Endpoints.Count; i++)
            {
                var remaining = route.Endpoints.Count - i;
                text.Append(Invariant($"-A WEFT_SERVICES -d {route.Address}/32 -p tcp --dport {route.Port}"));
                if (remaining > 1)
                {
                    // Rule i takes 1/(n-i) of what reaches it: an even split over n endpoints.
                    text.Append(Invariant($" -m statistic --mode random --probability {(1.0 / remaining).ToString("0.#####", CultureInfo.InvariantCulture)}"));
                }

                text.Append(Invariant($" -j DNAT --to-destination {route.Endpoints[i]}\n"));
            }
        }

        return text.Append("COMMIT\n").Append(Filter(services)).ToString();
    }

    private static string Filter(IPNetwork services) =>
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        + Invariant($"-A OUTPUT -d {services} -p tcp -j REJECT --reject-with tcp-reset\n")
        + Invariant($"-A OUTPUT -d {services} -j REJECT\n")
        + "COMMIT\n";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A service address and port, and the pod endpoints (ip:port) behind it.</summary>
internal sealed record ServiceRoute(string Address, int Port, IReadOnlyList<IPEndPoint> Endpoints);
