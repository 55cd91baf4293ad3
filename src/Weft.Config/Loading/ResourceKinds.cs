using Weft.Config.Model;

namespace Weft.Config.Loading;

/// <summary>How the loader treats one apiVersion/kind.</summary>
internal readonly record struct KindResolution(Type? Type, bool Lenient, DiagnosticSeverity SkipSeverity, string? SkipReason)
{
    public bool Read => Type is not null;
}

/// <summary>
/// The resource kinds Weft reads, by API group and kind, with the versions it accepts. Weft's own
/// and Istio's kinds are read strictly (an unknown field is an error); Kubernetes kinds are read
/// leniently (fields the mesh does not use are tolerated). A kind Weft does not read is skipped:
/// with a warning when it is a mesh kind (Istio, Gateway API, Weft) — a feature Weft lacks — and
/// with an informational note otherwise (a ConfigMap, a Secret: nothing the mesh acts on).
/// </summary>
internal static class ResourceKinds
{
    private static readonly string[] ControllerKinds = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"];

    private static readonly Dictionary<(string Group, string Kind), (Type Type, string[] Versions, bool Lenient)> Known = new()
    {
        [("weft.dev", "Workload")] = (typeof(Workload), ["v1alpha1"], false),
        [("", "Service")] = (typeof(Service), ["v1"], true),
        [("", "Namespace")] = (typeof(KubernetesNamespace), ["v1"], true),
        [("", "Node")] = (typeof(Node), ["v1"], true),
        [("", "Pod")] = (typeof(Pod), ["v1"], true),
        [("apps", "Deployment")] = (typeof(WorkloadController), ["v1"], true),
        [("apps", "StatefulSet")] = (typeof(WorkloadController), ["v1"], true),
        [("apps", "DaemonSet")] = (typeof(WorkloadController), ["v1"], true),
        [("apps", "ReplicaSet")] = (typeof(WorkloadController), ["v1"], true),
        [("networking.istio.io", "VirtualService")] = (typeof(VirtualService), ["v1", "v1beta1", "v1alpha3"], false),
        [("networking.istio.io", "DestinationRule")] = (typeof(DestinationRule), ["v1", "v1beta1", "v1alpha3"], false),
        [("security.istio.io", "PeerAuthentication")] = (typeof(PeerAuthentication), ["v1", "v1beta1"], false),
        [("security.istio.io", "RequestAuthentication")] = (typeof(RequestAuthentication), ["v1", "v1beta1"], false),
        [("security.istio.io", "AuthorizationPolicy")] = (typeof(AuthorizationPolicy), ["v1", "v1beta1"], false),
        [("gateway.networking.k8s.io", "HTTPRoute")] = (typeof(HttpRouteResource), ["v1", "v1beta1"], false),
        [("gateway.networking.k8s.io", "GRPCRoute")] = (typeof(GrpcRouteResource), ["v1", "v1alpha2"], false),
    };

    public static bool IsWorkloadController(string kind) => Array.IndexOf(ControllerKinds, kind) >= 0;

    public static KindResolution Resolve(string apiVersion, string kind)
    {
        var slash = apiVersion.LastIndexOf('/');
        var group = slash < 0 ? "" : apiVersion[..slash];
        var version = slash < 0 ? apiVersion : apiVersion[(slash + 1)..];
        if (!Known.TryGetValue((group, kind), out var entry))
        {
            return IsMeshGroup(group)
                ? new KindResolution(null, false, DiagnosticSeverity.Warning,
                    $"kind {kind} ({apiVersion}) is not one Weft reads; supported: Workload, Service, Namespace, Node, Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, VirtualService, DestinationRule, PeerAuthentication, RequestAuthentication, AuthorizationPolicy, HTTPRoute, GRPCRoute; this document is skipped")
                : new KindResolution(null, false, DiagnosticSeverity.Info, $"kind {kind} ({apiVersion}) is not used by the mesh; this document is skipped");
        }

        if (Array.IndexOf(entry.Versions, version) < 0)
        {
            return new KindResolution(null, false, DiagnosticSeverity.Warning,
                $"apiVersion {apiVersion} is not supported for {kind}; use {(group.Length == 0 ? "" : group + "/")}{entry.Versions[0]}; this document is skipped");
        }

        return new KindResolution(entry.Type, entry.Lenient, DiagnosticSeverity.Info, null);
    }

    private static bool IsMeshGroup(string group) =>
        group is "weft.dev" or "istio.io" or "gateway.networking.k8s.io" || group.EndsWith(".istio.io", StringComparison.Ordinal)
        || group.EndsWith(".weft.dev", StringComparison.Ordinal);
}
