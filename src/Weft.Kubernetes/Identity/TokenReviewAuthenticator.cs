using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Weft.ControlPlane.Registry;
using Weft.Kubernetes.Api;
using Weft.Kubernetes.Registry;

namespace Weft.Kubernetes.Identity;

/// <summary>
/// A sidecar proves which pod it serves with the pod's projected service-account token (audience
/// <see cref="Audience"/>): the API server checks it (TokenReview), and the proxy gets the pod's
/// config and a certificate for the pod's service account only when the token is that service
/// account's — and, for a pod-bound token, that pod's.
/// </summary>
public sealed partial class TokenReviewAuthenticator(KubernetesConnection api, KubernetesRegistry registry, ILogger<TokenReviewAuthenticator> logger, string audience = TokenReviewAuthenticator.DefaultAudience)
    : IProxyAuthenticator
{
    public const string DefaultAudience = "weft";
    private const string ServiceAccountPrefix = "system:serviceaccount:";
    private const string PodNameExtra = "authentication.kubernetes.io/pod-name";

    public string Audience => audience;

    public async ValueTask<ProxyAuthentication> AuthenticateAsync(string? credential, string workload, string @namespace, CancellationToken cancellation)
    {
        if (string.IsNullOrEmpty(credential))
        {
            return ProxyAuthentication.Refused("no service account token was presented");
        }

        JsonObject review;
        try
        {
            review = await api.SendAsync(HttpMethod.Post, "/apis/authentication.k8s.io/v1/tokenreviews", new JsonObject
            {
                ["apiVersion"] = "authentication.k8s.io/v1",
                ["kind"] = "TokenReview",
                ["spec"] = new JsonObject { ["token"] = credential, ["audiences"] = new JsonArray(audience) },
            }, cancellation);
        }
        catch (Exception e) when (e is KubernetesApiException or HttpRequestException)
        {
            Log.ReviewFailed(logger, @namespace, workload, e.Message);
            return ProxyAuthentication.Refused($"the token could not be reviewed: {e.Message}");
        }

        var outcome = Decide(review["status"] as JsonObject, audience, workload, @namespace, key => registry.Find(key));
        if (outcome.Refusal is { } refusal)
        {
            Log.Refused(logger, @namespace, workload, refusal);
        }

        return outcome;
    }

    /// <summary>What a TokenReview's status means for a proxy claiming to be <paramref name="namespace"/>/<paramref name="workload"/>. Pure.</summary>
    internal static ProxyAuthentication Decide(JsonObject? status, string audience, string workload, string @namespace, Func<string, Mesh.Model.WorkloadInstance?> findPod)
    {
        if (status?["authenticated"]?.GetValue<bool>() != true)
        {
            var error = status?["error"]?.GetValue<string>();
            return ProxyAuthentication.Refused($"the API server did not accept the token{(string.IsNullOrEmpty(error) ? "" : ": " + error)}");
        }

        if (status["audiences"] is JsonArray audiences && !audiences.Any(a => a?.GetValue<string>() == audience))
        {
            return ProxyAuthentication.Refused($"the token is not for audience {audience}");
        }

        var username = status["user"]?["username"]?.GetValue<string>() ?? "";
        var parts = username.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal) ? username[ServiceAccountPrefix.Length..].Split(':') : [];
        if (parts.Length != 2)
        {
            return ProxyAuthentication.Refused($"{username} is not a service account");
        }

        var (tokenNamespace, serviceAccount) = (parts[0], parts[1]);
        if (tokenNamespace != @namespace)
        {
            return ProxyAuthentication.Refused($"the token is service account {tokenNamespace}/{serviceAccount}'s, not one of namespace {@namespace}");
        }

        if (status["user"]?["extra"]?[PodNameExtra] is JsonArray podNames && podNames.Count > 0 && !podNames.Any(p => p?.GetValue<string>() == workload))
        {
            return ProxyAuthentication.Refused($"the token is bound to pod {podNames[0]?.GetValue<string>()}, not {workload}");
        }

        if (findPod($"{@namespace}/{workload}") is not { } instance)
        {
            return ProxyAuthentication.Refused($"no pod {@namespace}/{workload} with an address is known");
        }

        if (!instance.Meshed)
        {
            return ProxyAuthentication.Refused($"pod {@namespace}/{workload} has no Weft sidecar");
        }

        return instance.Workload.Spec.ServiceAccount == serviceAccount
            ? ProxyAuthentication.Of(instance)
            : ProxyAuthentication.Refused($"pod {@namespace}/{workload} runs as service account {instance.Workload.Spec.ServiceAccount}; the token is {serviceAccount}'s");
    }

    private static partial class Log
    {
        [LoggerMessage(130, LogLevel.Warning, "Refused proxy {Namespace}/{Workload}: {Reason}")]
        public static partial void Refused(ILogger logger, string @namespace, string workload, string reason);

        [LoggerMessage(131, LogLevel.Warning, "TokenReview for {Namespace}/{Workload} failed: {Error}")]
        public static partial void ReviewFailed(ILogger logger, string @namespace, string workload, string error);
    }
}
