using System.Text;
using System.Text.Json.Nodes;
using Weft.ControlPlane.Interception;
using Weft.Kubernetes.Injection;
using Weft.Kubernetes.Mapping;

namespace Weft.Kubernetes.Tests;

/// <summary>The injection webhook's patch, applied to pods the way the API server applies it.</summary>
public sealed class SidecarInjectorTests
{
    private static readonly InjectionSettings Settings = new() { ControlPlaneAddress = "https://198.18.0.1:15012", ControlPlaneRootPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" };

    [Theory]
    [InlineData("""{"metadata": {"name": "p"}, "spec": {"containers": [{"name": "app"}]}}""", true)]
    [InlineData("""{"metadata": {"name": "p", "annotations": {"weft.dev/inject": "false"}}, "spec": {"containers": [{"name": "app"}]}}""", false)]
    [InlineData("""{"metadata": {"name": "p", "annotations": {"sidecar.istio.io/inject": "false"}}, "spec": {"containers": [{"name": "app"}]}}""", false)]
    [InlineData("""{"metadata": {"name": "p"}, "spec": {"hostNetwork": true, "containers": [{"name": "app"}]}}""", false)]
    [InlineData("""{"metadata": {"name": "p"}, "spec": {"containers": [{"name": "app"}, {"name": "weft-proxy"}]}}""", false)]
    public void A_pod_gets_a_sidecar_unless_it_opts_out_already_has_one_or_shares_the_hosts_network(string pod, bool injected) =>
        Assert.Equal(injected, SidecarInjector.Patch((JsonObject)JsonNode.Parse(pod)!, Settings) is not null);

    [Theory]
    [InlineData(false, """[{"name": "app", "ports": [{"containerPort": 9080}]}]""", null)]
    [InlineData(true, """[{"name": "app", "ports": [{"containerPort": 9080}]}]""", null)]
    [InlineData(false, """[{"name": "app", "ports": [{"containerPort": 9080}]}]""", """[{"name": "migrate"}]""")]
    public void The_proxy_starts_before_the_app_and_the_capture_rules_before_everything(bool native, string containers, string? initContainers)
    {
        var spec = new JsonObject { ["serviceAccountName"] = "payments", ["containers"] = JsonNode.Parse(containers) };
        if (initContainers is not null)
        {
            spec["initContainers"] = JsonNode.Parse(initContainers);
        }

        var pod = new JsonObject { ["metadata"] = JsonNode.Parse("""{"name": "p", "annotations": {"weft.dev/proxy-memory-limit": "128Mi"}}"""), ["spec"] = spec };

        var patched = Apply(pod, SidecarInjector.Patch(pod, Settings with { NativeSidecars = native })!);

        var init = patched["spec"]!["initContainers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ToList();
        var main = patched["spec"]!["containers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(SidecarInjector.InitContainer, init[0]);
        if (native)
        {
            Assert.Equal(PodInstances.ProxyContainer, init[1]);
            Assert.Equal("Always", patched["spec"]!["initContainers"]![1]!["restartPolicy"]!.GetValue<string>());
            Assert.Equal(["app"], main);
        }
        else
        {
            Assert.Equal(PodInstances.ProxyContainer, main[0]);
            Assert.Equal("proxy-ready", patched["spec"]!["containers"]![0]!["lifecycle"]!["postStart"]!["exec"]!["command"]![1]!.GetValue<string>());
        }

        Assert.Equal(initContainers is null ? 1 + (native ? 1 : 0) : 2 + (native ? 1 : 0), init.Count);
        var rules = patched["spec"]!["initContainers"]![0]!["env"]![0]!["value"]!.GetValue<string>();
        Assert.Equal(PodCapture.RedirectRules(), rules);

        // The proxy proves its identity with a projected token for Weft's audience, and trusts the root the annotation carries.
        var volumes = patched["spec"]!["volumes"]!.AsArray();
        Assert.Equal("weft", volumes.Single(v => v!["name"]!.GetValue<string>() == SidecarInjector.TokenVolume)!["projected"]!["sources"]![0]!["serviceAccountToken"]!["audience"]!.GetValue<string>());
        Assert.Equal(Settings.ControlPlaneRootPem, patched["metadata"]!["annotations"]![SidecarInjector.RootAnnotation]!.GetValue<string>());

        var proxy = (native ? patched["spec"]!["initContainers"]![1] : patched["spec"]!["containers"]![0])!;
        Assert.Equal("128Mi", proxy["resources"]!["limits"]!["memory"]!.GetValue<string>());
        Assert.Equal("40Mi", proxy["resources"]!["requests"]!["memory"]!.GetValue<string>());
        Assert.Equal(PodCapture.ProxyGroupId, proxy["securityContext"]!["runAsGroup"]!.GetValue<int>());
        var args = proxy["args"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        Assert.Contains("https://198.18.0.1:15012", args);
        Assert.Equal("9080=9080", args[args.IndexOf("--inbound") + 1]);
        Assert.True(PodInstances.From(WithStatus(patched)) is { Instance.Meshed: true });
    }

    [Fact]
    public void The_review_answers_with_a_base64_JSON_patch()
    {
        var review = (JsonObject)JsonNode.Parse("""{"request": {"uid": "u-7", "operation": "CREATE", "object": {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "app"}]}}}}""")!;

        var response = SidecarInjector.Review(review, Settings)["response"]!;

        Assert.Equal("u-7", response["uid"]!.GetValue<string>());
        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Equal("JSONPatch", response["patchType"]!.GetValue<string>());
        Assert.IsType<JsonArray>(JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(response["patch"]!.GetValue<string>()))));
    }

    [Theory]
    [InlineData("""{"httpGet": {"path": "/demo/stats", "port": 9080}}""", "/app-health/9080/demo/stats")]
    [InlineData("""{"httpGet": {"path": "/healthz", "port": "http"}}""", "/app-health/9080/healthz")]
    [InlineData("""{"httpGet": {"path": "/healthz", "port": 9080, "scheme": "HTTPS"}}""", null)]
    [InlineData("""{"tcpSocket": {"port": 9080}}""", null)]
    public void The_kubelets_HTTP_probes_of_the_app_go_through_the_sidecars_admin_port(string probe, string? path)
    {
        var pod = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "p" },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "app",
                ["ports"] = JsonNode.Parse("""[{"name": "http", "containerPort": 9080}]"""),
                ["readinessProbe"] = JsonNode.Parse(probe),
            }) },
        };

        var patched = Apply(pod, SidecarInjector.Patch(pod, Settings)!);

        var app = patched["spec"]!["containers"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "app")!;
        if (path is null)
        {
            Assert.Equal(JsonNode.Parse(probe)!.ToJsonString(), app["readinessProbe"]!.ToJsonString());
            return;
        }

        Assert.Equal(path, app["readinessProbe"]!["httpGet"]!["path"]!.GetValue<string>());
        Assert.Equal(PodCapture.AdminPort, app["readinessProbe"]!["httpGet"]!["port"]!.GetValue<int>());
    }

    /// <summary>RFC 6902 "add" and "replace", the operations the injector uses: a member, an array index, or "-" for the end.</summary>
    internal static JsonObject Apply(JsonObject document, JsonArray patch)
    {
        var result = (JsonObject)document.DeepClone();
        foreach (var operation in patch.OfType<JsonObject>())
        {
            var op = operation["op"]!.GetValue<string>();
            Assert.Contains(op, new[] { "add", "replace" });
            var path = operation["path"]!.GetValue<string>().Split('/').Skip(1).Select(p => p.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToList();
            JsonNode parent = result;
            foreach (var segment in path.SkipLast(1))
            {
                parent = parent is JsonArray array ? array[int.Parse(segment, System.Globalization.CultureInfo.InvariantCulture)]! : parent[segment]!;
            }

            var value = operation["value"]?.DeepClone();
            var last = path[^1];
            if (parent is JsonArray list)
            {
                if (op == "replace")
                {
                    list[int.Parse(last, System.Globalization.CultureInfo.InvariantCulture)] = value;
                }
                else if (last == "-")
                {
                    list.Add(value);
                }
                else
                {
                    list.Insert(int.Parse(last, System.Globalization.CultureInfo.InvariantCulture), value);
                }
            }
            else
            {
                parent[last] = value;
            }
        }

        return result;
    }

    private static JsonObject WithStatus(JsonObject pod)
    {
        pod["status"] = JsonNode.Parse("""{"phase": "Running", "podIP": "10.1.0.9", "conditions": [{"type": "Ready", "status": "True"}]}""");
        return pod;
    }
}
