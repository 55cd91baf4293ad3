using System.Text;
using System.Text.Json.Nodes;
using Weft.Kubernetes.Api;

namespace Weft.Kubernetes.Admission;

/// <summary>Where the API server reaches the webhooks: a URL (a control plane outside the cluster) or the control plane's Service.</summary>
public sealed record WebhookEndpoint(string? Url, string? ServiceNamespace, string? ServiceName, int ServicePort = 443)
{
    public static WebhookEndpoint At(string url) => new(url, null, null);

    public static WebhookEndpoint Service(string @namespace, string name, int port = 443) => new(null, @namespace, name, port);

    public JsonObject ClientConfig(string path, string caBundlePem)
    {
        var config = new JsonObject { ["caBundle"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(caBundlePem)) };
        if (Url is not null)
        {
            config["url"] = Url.TrimEnd('/') + path;
        }
        else
        {
            config["service"] = new JsonObject { ["namespace"] = ServiceNamespace, ["name"] = ServiceName, ["port"] = ServicePort, ["path"] = path };
        }

        return config;
    }
}

/// <summary>The admissionregistration.k8s.io/v1 objects that point the API server at Weft's webhooks.</summary>
public static class WebhookConfigurations
{
    public const string ValidatingName = "weft-validation";
    public const string ValidatingWebhook = "validation.weft.dev";

    /// <summary>
    /// Validation of every kind Weft reads, on create and update. Fail closed (an invalid object must
    /// not slip in while the webhook is up; if it is down the control plane still refuses it, and says so).
    /// </summary>
    public static JsonObject Validating(WebhookEndpoint endpoint, string caBundlePem, JsonObject? namespaceSelector = null, string name = ValidatingName)
    {
        var rules = new JsonArray();
        foreach (var group in ApiResource.MeshKinds.GroupBy(k => k.Group))
        {
            rules.Add(new JsonObject
            {
                ["apiGroups"] = new JsonArray(group.Key),
                ["apiVersions"] = new JsonArray("*"),
                ["operations"] = new JsonArray("CREATE", "UPDATE"),
                ["resources"] = new JsonArray([.. group.Select(k => (JsonNode)JsonValue.Create(k.Plural))]),
                ["scope"] = "Namespaced",
            });
        }

        var webhook = new JsonObject
        {
            ["name"] = ValidatingWebhook,
            ["clientConfig"] = endpoint.ClientConfig(AdmissionServer.ValidatePath, caBundlePem),
            ["rules"] = rules,
            ["failurePolicy"] = "Fail",
            ["sideEffects"] = "None",
            ["admissionReviewVersions"] = new JsonArray("v1"),
            ["timeoutSeconds"] = 5,
        };
        if (namespaceSelector is not null)
        {
            webhook["namespaceSelector"] = namespaceSelector;
        }

        return new JsonObject
        {
            ["apiVersion"] = "admissionregistration.k8s.io/v1",
            ["kind"] = "ValidatingWebhookConfiguration",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = "weft" } },
            ["webhooks"] = new JsonArray(webhook),
        };
    }
}
