using System.Text.Json.Nodes;
using Weft.Kubernetes.Admission;

namespace Weft.Kubernetes.Tests;

/// <summary>The validating webhook's answers: the loader's verdict, field and reason.</summary>
public sealed class ValidatingAdmissionTests
{
    private const string Valid = """{"hosts": ["payments"], "http": [{"route": [{"destination": {"host": "payments"}}]}]}""";

    [Theory]
    [InlineData("CREATE", Valid, true, null)]
    [InlineData("UPDATE", """{"hosts": ["payments"], "http": [{"route": [{"destination": {"host": "payments"}, "weight": 90}, {"destination": {"host": "payments"}, "weight": 20}]}]}""", false, "VirtualService shop/split is invalid: spec.http[0].route")]
    [InlineData("CREATE", """{"hosts": ["payments"], "http": [{"retries": {"attempts": -1}, "route": [{"destination": {"host": "payments"}}]}]}""", false, "spec.http[0].retries.attempts")]
    [InlineData("CREATE", """{"hosts": ["payments"], "htp": []}""", false, "unknown field 'htp'")]
    [InlineData("DELETE", """{"hosts": ["payments"], "htp": []}""", true, null)]
    public void A_mesh_object_is_allowed_only_if_the_loader_accepts_it(string operation, string spec, bool allowed, string? message)
    {
        var review = new JsonObject
        {
            ["apiVersion"] = "admission.k8s.io/v1",
            ["kind"] = "AdmissionReview",
            ["request"] = new JsonObject
            {
                ["uid"] = "req-1",
                ["operation"] = operation,
                ["namespace"] = "shop",
                ["object"] = new JsonObject
                {
                    ["apiVersion"] = "networking.istio.io/v1",
                    ["kind"] = "VirtualService",
                    ["metadata"] = new JsonObject { ["name"] = "split" },
                    ["spec"] = JsonNode.Parse(spec),
                },
            },
        };

        var response = ValidatingAdmission.Review(review)["response"]!;

        Assert.Equal("req-1", response["uid"]!.GetValue<string>());
        Assert.Equal(allowed, response["allowed"]!.GetValue<bool>());
        if (message is not null)
        {
            Assert.Contains(message, response["status"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(422, response["status"]!["code"]!.GetValue<int>());
        }
    }
}
