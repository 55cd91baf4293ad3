namespace Weft.Kubernetes.Api;

/// <summary>A kind the API server serves: its group, version and resource name, and whether it lives in namespaces.</summary>
public sealed record ApiResource(string Group, string Version, string Plural, string Kind, bool Namespaced = true)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>
    /// The collection across all namespaces (/api/v1/pods, /apis/networking.istio.io/v1/virtualservices),
    /// or in one (/api/v1/namespaces/NS/pods).
    /// </summary>
    public string CollectionPath(string? @namespace = null)
    {
        var root = Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";
        return Namespaced && @namespace is not null ? $"{root}/namespaces/{Uri.EscapeDataString(@namespace)}/{Plural}" : $"{root}/{Plural}";
    }

    /// <summary>One object's path.</summary>
    public string ObjectPath(string? @namespace, string name)
    {
        var root = Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";
        return Namespaced ? $"{root}/namespaces/{Uri.EscapeDataString(@namespace ?? "default")}/{Plural}/{Uri.EscapeDataString(name)}" : $"{root}/{Plural}/{Uri.EscapeDataString(name)}";
    }

    public override string ToString() => $"{Plural}.{(Group.Length == 0 ? "core" : Group)}/{Version}";

    public static readonly ApiResource Namespaces = new("", "v1", "namespaces", "Namespace", Namespaced: false);
    public static readonly ApiResource Pods = new("", "v1", "pods", "Pod");
    public static readonly ApiResource Services = new("", "v1", "services", "Service");
    public static readonly ApiResource Events = new("", "v1", "events", "Event");
    public static readonly ApiResource VirtualServices = new("networking.istio.io", "v1", "virtualservices", "VirtualService");
    public static readonly ApiResource DestinationRules = new("networking.istio.io", "v1", "destinationrules", "DestinationRule");
    public static readonly ApiResource PeerAuthentications = new("security.istio.io", "v1", "peerauthentications", "PeerAuthentication");
    public static readonly ApiResource AuthorizationPolicies = new("security.istio.io", "v1", "authorizationpolicies", "AuthorizationPolicy");
    public static readonly ApiResource RequestAuthentications = new("security.istio.io", "v1", "requestauthentications", "RequestAuthentication");
    public static readonly ApiResource HttpRoutes = new("gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute");
    public static readonly ApiResource GrpcRoutes = new("gateway.networking.k8s.io", "v1", "grpcroutes", "GRPCRoute");

    /// <summary>Istio's and the Gateway API's kinds: the CRDs Weft reads (and installs when a cluster lacks them).</summary>
    public static IReadOnlyList<ApiResource> MeshKinds { get; } =
        [VirtualServices, DestinationRules, PeerAuthentications, AuthorizationPolicies, RequestAuthentications, HttpRoutes, GrpcRoutes];

    /// <summary>Everything the config source watches: the mesh kinds plus Namespaces and Services.</summary>
    public static IReadOnlyList<ApiResource> ConfigKinds { get; } = [Namespaces, Services, .. MeshKinds];
}
