using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Weft.ControlPlane.Interception;
using Weft.Kubernetes.Mapping;

namespace Weft.Kubernetes.Injection;

/// <summary>What every injected sidecar is told: where the control plane is, which roots to trust, the defaults.</summary>
public sealed record InjectionSettings
{
    /// <summary>The discovery endpoint sidecars connect to (https://HOST:PORT).</summary>
    public required string ControlPlaneAddress { get; init; }

    /// <summary>The roots the control plane's certificate chains to, PEM.</summary>
    public required string ControlPlaneRootPem { get; init; }

    public string TrustDomain { get; init; } = "cluster.local";

    /// <summary>The image the project's scripts/build-images.sh builds (no registry publishes one yet).</summary>
    public const string DefaultImage = "docker.io/weft/weft:dev";

    /// <summary>The image with weft-proxy, iptables-restore and a shell (the default of annotation weft.dev/proxy-image).</summary>
    public string Image { get; init; } = DefaultImage;

    public string TokenAudience { get; init; } = Identity.TokenReviewAuthenticator.DefaultAudience;

    /// <summary>The server runs native sidecars (initContainers[].restartPolicy: Always, on by default from 1.29).</summary>
    public bool NativeSidecars { get; init; }

    public string CpuRequest { get; init; } = "10m";
    public string MemoryRequest { get; init; } = "40Mi";
}

/// <summary>
/// The mutating webhook's decision for a pod: whether it gets a sidecar, and the JSON patch that
/// adds it — an init container that installs <see cref="PodCapture.RedirectRules"/>, the proxy
/// (a native sidecar where the server has them, else the first container), the projected token
/// it proves its identity with, and the control plane's root. Pure.
/// </summary>
public static class SidecarInjector
{
    public const string InjectAnnotation = "weft.dev/inject";
    public const string IstioInjectAnnotation = "sidecar.istio.io/inject";
    public const string ImageAnnotation = "weft.dev/proxy-image";
    public const string CpuRequestAnnotation = "weft.dev/proxy-cpu-request";
    public const string MemoryRequestAnnotation = "weft.dev/proxy-memory-request";
    public const string CpuLimitAnnotation = "weft.dev/proxy-cpu-limit";
    public const string MemoryLimitAnnotation = "weft.dev/proxy-memory-limit";
    public const string RootAnnotation = "weft.dev/control-plane-root";
    public const string InitContainer = "weft-init";
    public const string TokenVolume = "weft-token";
    public const string RootVolume = "weft-root";
    private const string TokenDirectory = "/var/run/secrets/weft/token";
    private const string RootDirectory = "/var/run/weft/root";

    /// <summary>Answers an AdmissionReview for a pod: allowed always; a patch when a sidecar is due.</summary>
    public static JsonObject Review(JsonObject review, InjectionSettings settings)
    {
        var request = review["request"] as JsonObject;
        var response = new JsonObject { ["uid"] = request?["uid"]?.GetValue<string>() ?? "", ["allowed"] = true };
        if (request?["operation"]?.GetValue<string>() == "CREATE" && request["object"] is JsonObject pod && Patch(pod, settings) is { } patch)
        {
            response["patchType"] = "JSONPatch";
            response["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(patch.ToJsonString()));
        }

        return new JsonObject { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["response"] = response };
    }

    /// <summary>
    /// The webhook only sees pods of namespaces (or pods) that opted in; a pod still opts out with
    /// annotation weft.dev/inject (or sidecar.istio.io/inject) "false", and a pod that already has
    /// the proxy, or uses the host's network, is left as it is.
    /// </summary>
    public static bool Wanted(JsonObject pod)
    {
        var annotations = pod["metadata"]?["annotations"] as JsonObject;
        foreach (var key in new[] { InjectAnnotation, IstioInjectAnnotation })
        {
            if (annotations?[key]?.GetValue<string>() is "false" or "disabled")
            {
                return false;
            }
        }

        var spec = pod["spec"] as JsonObject;
        if (spec?["hostNetwork"]?.GetValue<bool>() == true)
        {
            return false;
        }

        return !Containers(spec, "containers").Concat(Containers(spec, "initContainers")).Any(c => c["name"]?.GetValue<string>() == PodInstances.ProxyContainer);
    }

    /// <summary>The JSON patch (RFC 6902) that injects the sidecar, or null when none is wanted.</summary>
    public static JsonArray? Patch(JsonObject pod, InjectionSettings settings)
    {
        if (!Wanted(pod))
        {
            return null;
        }

        var spec = (JsonObject)pod["spec"]!;
        var annotations = pod["metadata"]?["annotations"] as JsonObject;
        string Annotation(string key, string fallback) => annotations?[key]?.GetValue<string>() is { Length: > 0 } value ? value : fallback;
        var image = Annotation(ImageAnnotation, settings.Image);
        var patch = new JsonArray();

        if (annotations is null)
        {
            patch.Add(Add("/metadata/annotations", new JsonObject()));
        }

        patch.Add(Add("/metadata/annotations/" + Escape(RootAnnotation), settings.ControlPlaneRootPem));
        if (spec["volumes"] is null)
        {
            patch.Add(Add("/spec/volumes", new JsonArray()));
        }

        patch.Add(Add("/spec/volumes/-", new JsonObject
        {
            ["name"] = TokenVolume,
            ["projected"] = new JsonObject
            {
                ["sources"] = new JsonArray(new JsonObject
                {
                    ["serviceAccountToken"] = new JsonObject { ["audience"] = settings.TokenAudience, ["expirationSeconds"] = 3600, ["path"] = "token" },
                }),
            },
        }));
        patch.Add(Add("/spec/volumes/-", new JsonObject
        {
            ["name"] = RootVolume,
            ["downwardAPI"] = new JsonObject
            {
                ["items"] = new JsonArray(new JsonObject
                {
                    ["path"] = "root.pem",
                    ["fieldRef"] = new JsonObject { ["fieldPath"] = $"metadata.annotations['{RootAnnotation}']" },
                }),
            },
        }));

        // The kubelet's HTTP probes of the app go to the sidecar's admin port, which relays them to
        // the app (STRICT refuses the kubelet's plaintext on the app's own port).
        var containers = spec["containers"] as JsonArray ?? [];
        for (var i = 0; i < containers.Count; i++)
        {
            foreach (var probe in new[] { "readinessProbe", "livenessProbe", "startupProbe" })
            {
                if (containers[i]?[probe]?["httpGet"] is JsonObject httpGet && httpGet["scheme"]?.GetValue<string>() is null or "HTTP"
                    && AppPort(httpGet["port"], containers[i]!) is { } appPort)
                {
                    var appPath = httpGet["path"]?.GetValue<string>() ?? "/";
                    patch.Add(Replace($"/spec/containers/{i.ToString(CultureInfo.InvariantCulture)}/{probe}/httpGet", new JsonObject
                    {
                        ["path"] = $"/app-health/{appPort.ToString(CultureInfo.InvariantCulture)}{(appPath.StartsWith('/') ? appPath : "/" + appPath)}",
                        ["port"] = PodCapture.AdminPort,
                        ["scheme"] = "HTTP",
                    }));
                }
            }
        }

        var init = InitContainerOf(image);
        var proxy = ProxyContainerOf(image, settings, Annotation);
        // The app's declared ports are the workload's: the proxy serves captured connections to them, and closes others.
        var args = (JsonArray)proxy["args"]!;
        foreach (var port in Containers(spec, "containers").SelectMany(c => (c["ports"] as JsonArray ?? []).OfType<JsonObject>())
            .Where(p => (p["protocol"]?.GetValue<string>() ?? "TCP") == "TCP")
            .Select(p => p["containerPort"]?.GetValue<int>() ?? 0).Where(p => p is >= 1 and <= 65535).Distinct().Order())
        {
            var text = port.ToString(CultureInfo.InvariantCulture);
            args.Add("--inbound");
            args.Add($"{text}={text}");
        }

        var hasInit = spec["initContainers"] is JsonArray { Count: > 0 };
        if (!hasInit)
        {
            patch.Add(Add("/spec/initContainers", new JsonArray()));
        }

        // The capture rules go in before anything else runs, the app's own init containers included.
        patch.Add(Add("/spec/initContainers/0", init));
        if (settings.NativeSidecars)
        {
            // A native sidecar starts right after weft-init; its startup probe holds the next containers back until it is ready.
            proxy["restartPolicy"] = "Always";
            patch.Add(Add("/spec/initContainers/1", proxy));
        }
        else
        {
            // The first container: the kubelet starts containers in order and waits for a postStart hook, so the app starts after it.
            proxy["lifecycle"] = new JsonObject
            {
                ["postStart"] = new JsonObject { ["exec"] = new JsonObject { ["command"] = new JsonArray("/usr/local/bin/weft", "proxy-ready", "--timeout", "120s") } },
            };
            patch.Add(Add("/spec/containers/0", proxy));
        }

        return patch;
    }

    private static JsonObject InitContainerOf(string image) => new()
    {
        ["name"] = InitContainer,
        ["image"] = image,
        ["command"] = new JsonArray("/bin/sh", "-c", "printf '%s' \"$WEFT_CAPTURE_RULES\" | iptables-restore"),
        ["env"] = new JsonArray(new JsonObject { ["name"] = "WEFT_CAPTURE_RULES", ["value"] = PodCapture.RedirectRules() }),
        ["securityContext"] = new JsonObject
        {
            ["runAsUser"] = 0,
            ["runAsNonRoot"] = false,
            ["capabilities"] = new JsonObject { ["add"] = new JsonArray("NET_ADMIN", "NET_RAW"), ["drop"] = new JsonArray("ALL") },
        },
    };

    private static JsonObject ProxyContainerOf(string image, InjectionSettings settings, Func<string, string, string> annotation)
    {
        var resources = new JsonObject
        {
            ["requests"] = new JsonObject
            {
                ["cpu"] = annotation(CpuRequestAnnotation, settings.CpuRequest),
                ["memory"] = annotation(MemoryRequestAnnotation, settings.MemoryRequest),
            },
        };
        var limits = new JsonObject();
        if (annotation(CpuLimitAnnotation, "") is { Length: > 0 } cpu)
        {
            limits["cpu"] = cpu;
        }

        if (annotation(MemoryLimitAnnotation, "") is { Length: > 0 } memory)
        {
            limits["memory"] = memory;
        }

        if (limits.Count > 0)
        {
            resources["limits"] = limits;
        }

        static JsonObject Field(string name, string path) => new() { ["name"] = name, ["valueFrom"] = new JsonObject { ["fieldRef"] = new JsonObject { ["fieldPath"] = path } } };
        var admin = PodCapture.AdminPort.ToString(CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["name"] = PodInstances.ProxyContainer,
            ["image"] = image,
            ["command"] = new JsonArray("/usr/local/bin/weft-proxy"),
            ["args"] = new JsonArray(
                "--workload", "$(WEFT_POD_NAME)", "--namespace", "$(WEFT_POD_NAMESPACE)", "--service-account", "$(WEFT_SERVICE_ACCOUNT)",
                "--trust-domain", settings.TrustDomain, "--control-plane", settings.ControlPlaneAddress,
                "--control-plane-root", $"{RootDirectory}/root.pem", "--token-file", $"{TokenDirectory}/token",
                "--admin-port", admin, "--outbound-port", PodCapture.OutboundCapturePort.ToString(CultureInfo.InvariantCulture),
                "--pod-ip", "$(WEFT_POD_IP)", "--capture-inbound", PodCapture.InboundCapturePort.ToString(CultureInfo.InvariantCulture)),
            ["env"] = new JsonArray(
                Field("WEFT_POD_NAME", "metadata.name"), Field("WEFT_POD_NAMESPACE", "metadata.namespace"),
                Field("WEFT_SERVICE_ACCOUNT", "spec.serviceAccountName"), Field("WEFT_POD_IP", "status.podIP")),
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "weft-admin", ["containerPort"] = PodCapture.AdminPort }),
            ["readinessProbe"] = new JsonObject { ["httpGet"] = new JsonObject { ["path"] = "/ready", ["port"] = PodCapture.AdminPort }, ["periodSeconds"] = 2 },
            ["startupProbe"] = new JsonObject { ["httpGet"] = new JsonObject { ["path"] = "/ready", ["port"] = PodCapture.AdminPort }, ["periodSeconds"] = 1, ["failureThreshold"] = 120 },
            ["resources"] = resources,
            ["securityContext"] = new JsonObject
            {
                ["runAsUser"] = PodCapture.ProxyGroupId,
                ["runAsGroup"] = PodCapture.ProxyGroupId,
                ["runAsNonRoot"] = true,
                ["allowPrivilegeEscalation"] = false,
                ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
            },
            ["volumeMounts"] = new JsonArray(
                new JsonObject { ["name"] = TokenVolume, ["mountPath"] = TokenDirectory, ["readOnly"] = true },
                new JsonObject { ["name"] = RootVolume, ["mountPath"] = RootDirectory, ["readOnly"] = true }),
        };
    }

    private static IEnumerable<JsonObject> Containers(JsonObject? spec, string field) => (spec?[field] as JsonArray ?? []).OfType<JsonObject>();

    private static JsonObject Add(string path, JsonNode? value) => new() { ["op"] = "add", ["path"] = path, ["value"] = value };

    private static JsonObject Replace(string path, JsonNode? value) => new() { ["op"] = "replace", ["path"] = path, ["value"] = value };

    /// <summary>A probe's port: a number, or the name of one of the container's ports. Null for an HTTPS probe's or an unknown name.</summary>
    private static int? AppPort(JsonNode? port, JsonNode container)
    {
        if (port is JsonValue value && value.TryGetValue<int>(out var number))
        {
            return number;
        }

        var name = port?.GetValue<string>();
        return (container["ports"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(p => p["name"]?.GetValue<string>() == name)?["containerPort"]?.GetValue<int>();
    }

    /// <summary>RFC 6901: '~' and '/' in a key.</summary>
    private static string Escape(string key) => key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
}
