using System.Text.Json.Nodes;
using Weft.Config.Loading;
using Weft.Kubernetes.Mapping;

namespace Weft.Kubernetes.Admission;

/// <summary>
/// The validating webhook's decision: an object Weft reads is allowed only if the manifest loader
/// accepts it, and a refusal carries the loader's field and reason, so `kubectl apply` prints what
/// `weft analyze` would. Fields Weft does not implement are allowed, with a warning. Pure.
/// </summary>
public static class ValidatingAdmission
{
    /// <summary>Answers an admission.k8s.io/v1 AdmissionReview.</summary>
    public static JsonObject Review(JsonObject review)
    {
        var request = review["request"] as JsonObject;
        var uid = request?["uid"]?.GetValue<string>() ?? "";
        var response = new JsonObject { ["uid"] = uid, ["allowed"] = true };
        var operation = request?["operation"]?.GetValue<string>();
        if (request?["object"] is JsonObject item && operation is "CREATE" or "UPDATE")
        {
            // An object of a namespace may omit its namespace in the manifest; the request names it.
            if (item["metadata"] is JsonObject metadata && metadata["namespace"] is null && request["namespace"]?.GetValue<string>() is { Length: > 0 } ns)
            {
                metadata["namespace"] = ns;
            }

            var loaded = ApiObjects.Load(item);
            var errors = loaded.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (errors.Count > 0)
            {
                response["allowed"] = false;
                response["status"] = new JsonObject
                {
                    ["code"] = 422,
                    ["reason"] = "Invalid",
                    ["message"] = $"{ApiObjects.Reference(item)} is invalid: " + string.Join("; ", errors.Select(Describe)),
                };
            }

            var warnings = loaded.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Warning).Select(Describe).ToList();
            if (warnings.Count > 0)
            {
                response["warnings"] = new JsonArray([.. warnings.Select(w => (JsonNode)JsonValue.Create(w))]);
            }
        }

        return new JsonObject
        {
            ["apiVersion"] = "admission.k8s.io/v1",
            ["kind"] = "AdmissionReview",
            ["response"] = response,
        };
    }

    private static string Describe(ConfigDiagnostic diagnostic) =>
        string.IsNullOrEmpty(diagnostic.Field) ? diagnostic.Message : $"{diagnostic.Field}: {diagnostic.Message}";
}
