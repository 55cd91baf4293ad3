using k8s;
using k8s.Models;
using Weft.Kubernetes.Tests.Cluster;

namespace Weft.Kubernetes.Tests;

/// <summary>
/// The identity path Weft's sidecars use on Kubernetes: a pod's projected ServiceAccount token with an
/// audience of Weft's own, read from the file the kubelet writes, checked by the API server's
/// TokenReview — it names the pod's ServiceAccount, holds only for that audience, and dies with the pod.
/// </summary>
public sealed class PodIdentityTests(PodIdentityTests.IdentityPod fixture) : IClassFixture<PodIdentityTests.IdentityPod>
{
    private const string Audience = "weft.dev/test-identity";

    [KubernetesFact(NeedsWeftImage = true)]
    public async Task ProjectedTokenWithWeftsAudienceNamesThePodsServiceAccount()
    {
        var token = await fixture.ReadTokenAsync("holder");

        var review = await fixture.ReviewAsync(token, Audience);

        Assert.True(review.Status.Authenticated, review.Status.Error);
        Assert.Equal($"system:serviceaccount:{fixture.Name}:payments", review.Status.User.Username);
        Assert.Contains(Audience, review.Status.Audiences);
        Assert.Equal(["holder"], review.Status.User.Extra["authentication.kubernetes.io/pod-name"]);
    }

    [KubernetesFact(NeedsWeftImage = true)]
    public async Task TokenIsRefusedForAnotherAudience()
    {
        var token = await fixture.ReadTokenAsync("holder");

        var review = await fixture.ReviewAsync(token, "https://kubernetes.default.svc.cluster.local");

        Assert.NotEqual(true, review.Status.Authenticated);
        Assert.Contains("audience", review.Status.Error, StringComparison.Ordinal);
    }

    [KubernetesFact(NeedsWeftImage = true)]
    public async Task TokenIsRefusedOnceItsPodIsDeleted()
    {
        var token = await fixture.ReadTokenAsync("doomed");
        Assert.True((await fixture.ReviewAsync(token, Audience)).Status.Authenticated == true);

        await fixture.Client.CoreV1.DeleteNamespacedPodAsync("doomed", fixture.Name, new V1DeleteOptions { GracePeriodSeconds = 0 });

        // The API server keeps a token's successful review for 10 s, so the refusal can lag that long.
        await TestNamespace.Eventually(async () => (await fixture.ReviewAsync(token, Audience)).Status.Authenticated != true,
            TimeSpan.FromSeconds(40), "the deleted pod's token refused");
    }

    /// <summary>A ServiceAccount `payments` and two pods running as it with a token for <see cref="Audience"/>.</summary>
    public sealed class IdentityPod() : TestNamespace("identity")
    {
        protected override async Task SetUpAsync()
        {
            if (TestCluster.WeftImageSkipReason is not null)
            {
                return;
            }

            await Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "payments" } }, Name);
            foreach (var pod in new[] { "holder", "doomed" })
            {
                await ApplyAsync($$"""
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: {{pod}}}
                    spec:
                      serviceAccountName: payments
                      terminationGracePeriodSeconds: 0
                      containers:
                      - name: app
                        image: {{TestCluster.WeftImage}}
                        args: [demo-app, --port, "8080"]
                        readinessProbe: {exec: {command: [sh, -c, "test -s /var/run/secrets/weft/token"]}, periodSeconds: 1}
                        volumeMounts: [{name: weft-token, mountPath: /var/run/secrets/weft, readOnly: true}]
                      volumes:
                      - name: weft-token
                        projected:
                          sources:
                          - serviceAccountToken: {audience: "{{Audience}}", expirationSeconds: 3600, path: token}
                    """);
            }

            await WaitForPodReadyAsync("holder");
            await WaitForPodReadyAsync("doomed");
        }

        /// <summary>The token file as the pod's own processes read it.</summary>
        public async Task<string> ReadTokenAsync(string pod)
        {
            var read = (await ExecAsync(pod, "app", "sh", "-c", "read -r token < /var/run/secrets/weft/token; printf %s \"$token\"")).OrThrow("exec read token");
            Assert.StartsWith("ey", read.Output, StringComparison.Ordinal); // a JWT
            return read.Output;
        }

        public Task<V1TokenReview> ReviewAsync(string token, string audience) =>
            Client.AuthenticationV1.CreateTokenReviewAsync(new V1TokenReview { Spec = new V1TokenReviewSpec { Token = token, Audiences = [audience] } });
    }
}
