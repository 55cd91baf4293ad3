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
    public const string MutatingName = "weft-injection";

    /// <summary>The namespace labels that ask for sidecars: Weft's own, and Istio's.</summary>
    public static readonly (string Label, string Value)[] InjectionLabels = [("weft.dev/inject", "enabled"), ("istio-injection", "enabled")];

    /// <summary>A pod label that asks for a sidecar in a namespace without one of <see cref="InjectionLabels"/>.</summary>
    public const string PodInjectLabel = "weft.dev/inject";

    /// <summary>
    /// Injection into pods of namespaces labelled weft.dev/inject=enabled or istio-injection=enabled,
    /// and into pods labelled weft.dev/inject=true anywhere (one webhook entry each: selectors are
    /// ANDed; the injector leaves a pod that already has the proxy alone). A pod opts out with
    /// annotation weft.dev/inject: "false". Fail closed: a pod must not start un-meshed by accident.
    /// <paramref name="scope"/>, when given, is added to every entry's namespace selector (tests).
    /// </summary>
    public static JsonObject Mutating(WebhookEndpoint endpoint, string caBundlePem, JsonObject? scope = null, string name = MutatingName)
    {
        var webhooks = new JsonArray();
        JsonObject Entry(string webhookName, JsonObject namespaceSelector, JsonObject? objectSelector)
        {
            foreach (var (key, value) in scope?["matchLabels"] as JsonObject ?? [])
            {
                ((JsonObject)namespaceSelector["matchLabels"]!)[key] = value?.DeepClone();
            }

            var entry = new JsonObject
            {
                ["name"] = webhookName,
                ["clientConfig"] = endpoint.ClientConfig(AdmissionServer.InjectPath, caBundlePem),
                ["rules"] = new JsonArray(new JsonObject
                {
                    ["apiGroups"] = new JsonArray(""),
                    ["apiVersions"] = new JsonArray("v1"),
                    ["operations"] = new JsonArray("CREATE"),
                    ["resources"] = new JsonArray("pods"),
                    ["scope"] = "Namespaced",
                }),
                ["namespaceSelector"] = namespaceSelector,
                ["failurePolicy"] = "Fail",
                ["sideEffects"] = "None",
                ["reinvocationPolicy"] = "Never",
                ["admissionReviewVersions"] = new JsonArray("v1"),
                ["timeoutSeconds"] = 5,
            };
            if (objectSelector is not null)
            {
                entry["objectSelector"] = objectSelector;
            }

            return entry;
        }

        foreach (var (label, value) in InjectionLabels)
        {
            webhooks.Add(Entry($"{label.Replace('/', '.')}.injection.weft.dev", new JsonObject { ["matchLabels"] = new JsonObject { [label] = value } }, null));
        }

        webhooks.Add(Entry("pod.injection.weft.dev", new JsonObject { ["matchLabels"] = new JsonObject() }, new JsonObject { ["matchLabels"] = new JsonObject { [PodInjectLabel] = "true" } }));
        return new JsonObject
        {
            ["apiVersion"] = "admissionregistration.k8s.io/v1",
            ["kind"] = "MutatingWebhookConfiguration",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = "weft" } },
            ["webhooks"] = webhooks,
        };
    }

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
