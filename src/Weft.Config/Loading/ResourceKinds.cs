using Weft.Config.Model;

namespace Weft.Config.Loading;

/// <summary>The resource kinds Weft reads, by API group and kind, with the versions it accepts.</summary>
internal static class ResourceKinds
{
    private static readonly Dictionary<(string Group, string Kind), (Type Type, string[] Versions)> Known = new()
    {
        [("weft.dev", "Workload")] = (typeof(Workload), ["v1alpha1"]),
        [("", "Service")] = (typeof(Service), ["v1"]),
        [("networking.istio.io", "VirtualService")] = (typeof(VirtualService), ["v1", "v1beta1", "v1alpha3"]),
        [("networking.istio.io", "DestinationRule")] = (typeof(DestinationRule), ["v1", "v1beta1", "v1alpha3"]),
        [("security.istio.io", "PeerAuthentication")] = (typeof(PeerAuthentication), ["v1", "v1beta1"]),
        [("security.istio.io", "RequestAuthentication")] = (typeof(RequestAuthentication), ["v1", "v1beta1"]),
        [("security.istio.io", "AuthorizationPolicy")] = (typeof(AuthorizationPolicy), ["v1", "v1beta1"]),
        [("gateway.networking.k8s.io", "HTTPRoute")] = (typeof(HttpRouteResource), ["v1", "v1beta1"]),
        [("gateway.networking.k8s.io", "GRPCRoute")] = (typeof(GrpcRouteResource), ["v1", "v1alpha2"]),
    };

    public static bool TryResolve(string apiVersion, string kind, out Type type, out string? error)
    {
        var slash = apiVersion.LastIndexOf('/');
        var group = slash < 0 ? "" : apiVersion[..slash];
        var version = slash < 0 ? apiVersion : apiVersion[(slash + 1)..];
        if (!Known.TryGetValue((group, kind), out var entry))
        {
            type = typeof(object);
            error = $"kind {kind} ({apiVersion}) is not one Weft reads; supported: Workload, Service, VirtualService, DestinationRule, PeerAuthentication, RequestAuthentication, AuthorizationPolicy, HTTPRoute, GRPCRoute";
            return false;
        }

        if (Array.IndexOf(entry.Versions, version) < 0)
        {
            type = typeof(object);
            error = $"apiVersion {apiVersion} is not supported for {kind}; use {(group.Length == 0 ? "" : group + "/")}{entry.Versions[0]}";
            return false;
        }

        type = entry.Type;
        error = null;
        return true;
    }
}
