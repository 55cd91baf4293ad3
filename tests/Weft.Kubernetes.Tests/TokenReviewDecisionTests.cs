using System.Text.Json.Nodes;
using Weft.Config.Model;
using Weft.Kubernetes.Identity;
using Weft.Mesh.Model;

namespace Weft.Kubernetes.Tests;

/// <summary>What a TokenReview's answer lets a proxy claiming to be shop/payments-0 have.</summary>
public sealed class TokenReviewDecisionTests
{
    [Theory]
    [InlineData("""{"authenticated": true, "audiences": ["weft"], "user": {"username": "system:serviceaccount:shop:payments"}}""", null)]
    [InlineData("""{"authenticated": true, "audiences": ["weft"], "user": {"username": "system:serviceaccount:shop:payments", "extra": {"authentication.kubernetes.io/pod-name": ["payments-0"]}}}""", null)]
    [InlineData("""{"authenticated": false, "error": "token expired"}""", "did not accept the token: token expired")]
    [InlineData("""{"authenticated": true, "audiences": ["https://kubernetes.default.svc"], "user": {"username": "system:serviceaccount:shop:payments"}}""", "not for audience weft")]
    [InlineData("""{"authenticated": true, "user": {"username": "alice"}}""", "alice is not a service account")]
    [InlineData("""{"authenticated": true, "user": {"username": "system:serviceaccount:other:payments"}}""", "not one of namespace shop")]
    [InlineData("""{"authenticated": true, "user": {"username": "system:serviceaccount:shop:checkout"}}""", "runs as service account payments; the token is checkout's")]
    [InlineData("""{"authenticated": true, "user": {"username": "system:serviceaccount:shop:payments", "extra": {"authentication.kubernetes.io/pod-name": ["payments-1"]}}}""", "bound to pod payments-1")]
    public void Only_the_pods_own_service_account_token_is_accepted(string status, string? refusal)
    {
        var outcome = TokenReviewAuthenticator.Decide((JsonObject)JsonNode.Parse(status)!, "weft", "payments-0", "shop", Find);

        if (refusal is null)
        {
            Assert.Equal("shop/payments-0", outcome.Instance?.Key);
        }
        else
        {
            Assert.Null(outcome.Instance);
            Assert.Contains(refusal, outcome.Refusal, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_pod_the_registry_does_not_know_is_refused()
    {
        var outcome = TokenReviewAuthenticator.Decide((JsonObject)JsonNode.Parse("""{"authenticated": true, "user": {"username": "system:serviceaccount:shop:payments"}}""")!, "weft", "payments-9", "shop", Find);

        Assert.Contains("no pod shop/payments-9", outcome.Refusal, StringComparison.Ordinal);
    }

    private static WorkloadInstance? Find(string key) => key != "shop/payments-0" ? null : new WorkloadInstance
    {
        Workload = new Workload { Metadata = new ObjectMeta { Name = "payments-0", Namespace = "shop" }, Spec = new WorkloadSpec { ServiceAccount = "payments" } },
        Name = "payments-0",
        Endpoints = new Dictionary<int, string>(),
        AppAddresses = new Dictionary<int, string>(),
    };
}
