using System.Text.Json.Nodes;
using Weft.Config.Model;
using Weft.Mesh.Model;

namespace Weft.Kubernetes.Mapping;

/// <summary>What a pod's status says about its processes, for `weft status` and `weft check`.</summary>
public sealed record PodFacts(string Address, bool AppRunning, bool SidecarRunning, int? AppExitCode, int? SidecarExitCode, IReadOnlyList<int> Ports);

/// <summary>One pod as the mesh sees it: the instance the compiler reads and the facts the status shows.</summary>
public sealed record PodInstance(WorkloadInstance Instance, PodFacts Facts);

/// <summary>
/// A pod as a <see cref="WorkloadInstance"/>: its labels, service account and container ports;
/// meshed when it carries Weft's proxy container; serving (an endpoint of its services) only while
/// it is Ready and not terminating — what the EndpointSlice controller decides too. Pure.
/// </summary>
public static class PodInstances
{
    /// <summary>The injected proxy's container name.</summary>
    public const string ProxyContainer = "weft-proxy";

    /// <summary>The sidecar's ports in a pod, as in Istio: admin, outbound capture.</summary>
    public const int AdminPort = ControlPlane.Interception.PodCapture.AdminPort;
    public const int OutboundCapturePort = ControlPlane.Interception.PodCapture.OutboundCapturePort;

    /// <summary>The instance, or null for a pod that has no address yet, uses the host's network, or has finished.</summary>
    public static PodInstance? From(JsonObject pod)
    {
        var spec = pod["spec"] as JsonObject;
        var status = pod["status"] as JsonObject;
        var podIp = status?["podIP"]?.GetValue<string>();
        var phase = status?["phase"]?.GetValue<string>();
        if (string.IsNullOrEmpty(podIp) || spec?["hostNetwork"]?.GetValue<bool>() == true)
        {
            return null;
        }

        var containers = (spec?["containers"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var initContainers = (spec?["initContainers"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var meshed = containers.Exists(IsProxy) || initContainers.Exists(c => IsProxy(c) && c["restartPolicy"]?.GetValue<string>() == "Always");
        var appContainers = containers.Where(c => !IsProxy(c)).ToList();
        var ports = appContainers
            .SelectMany(c => (c["ports"] as JsonArray ?? []).OfType<JsonObject>())
            .Select(p => new WorkloadPort
            {
                Name = p["name"]?.GetValue<string>(),
                Port = p["containerPort"]?.GetValue<int>() ?? 0,
                Protocol = p["protocol"]?.GetValue<string>(),
            })
            .Where(p => p.Port is >= 1 and <= 65535)
            .DistinctBy(p => p.Port)
            .ToList();

        var metadata = pod["metadata"] as JsonObject;
        var workload = new Workload
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new ObjectMeta
            {
                Name = ApiObjects.Name(pod),
                Namespace = ApiObjects.Namespace(pod) ?? "default",
                Labels = StringMap(metadata?["labels"]),
                Annotations = StringMap(metadata?["annotations"]),
                Uid = ApiObjects.Uid(pod),
                CreationTimestamp = metadata?["creationTimestamp"]?.GetValue<string>(),
            },
            Spec = new WorkloadSpec
            {
                ServiceAccount = spec?["serviceAccountName"]?.GetValue<string>() ?? spec?["serviceAccount"]?.GetValue<string>() ?? "default",
                Ports = ports,
                Mesh = meshed,
            },
        };

        var terminating = metadata?["deletionTimestamp"] is not null;
        var finished = phase is "Succeeded" or "Failed";
        var instance = new WorkloadInstance
        {
            Workload = workload,
            Name = workload.Name,
            Endpoints = ports.ToDictionary(p => p.Port, p => $"{podIp}:{p.Port}"),
            // Inside the pod the app listens on its own port; the sidecar reaches it over the pod's loopback.
            AppAddresses = ports.ToDictionary(p => p.Port, p => meshed ? $"127.0.0.1:{p.Port}" : $"{podIp}:{p.Port}"),
            Ready = !terminating && !finished && phase == "Running" && IsReady(status),
        };

        var statuses = (status?["containerStatuses"] as JsonArray ?? []).OfType<JsonObject>()
            .Concat((status?["initContainerStatuses"] as JsonArray ?? []).OfType<JsonObject>())
            .ToList();
        var appStatuses = statuses.Where(s => s["name"]?.GetValue<string>() != ProxyContainer && appContainers.Exists(c => c["name"]?.GetValue<string>() == s["name"]?.GetValue<string>())).ToList();
        var proxyStatus = statuses.Find(s => s["name"]?.GetValue<string>() == ProxyContainer);
        var facts = new PodFacts(
            podIp,
            AppRunning: appStatuses.Count > 0 ? appStatuses.TrueForAll(Running) : phase == "Running",
            SidecarRunning: meshed && (proxyStatus is null ? phase == "Running" : Running(proxyStatus)),
            AppExitCode: AppExitCode(appStatuses, phase),
            SidecarExitCode: proxyStatus is null ? null : ExitCode(proxyStatus),
            ports.Select(p => p.Port).ToList());
        return new PodInstance(instance, facts);
    }

    /// <summary>The first failing app container's code; 0 once every app container (or the pod) succeeded; null while any runs.</summary>
    private static int? AppExitCode(List<JsonObject> appStatuses, string? phase)
    {
        if (phase == "Succeeded")
        {
            return 0;
        }

        var codes = appStatuses.Select(ExitCode).ToList();
        if (codes.Find(code => code is not null and not 0) is { } failed)
        {
            return failed;
        }

        return codes.Count > 0 && codes.TrueForAll(code => code == 0) ? 0 : null;
    }

    private static bool IsProxy(JsonObject container) => container["name"]?.GetValue<string>() == ProxyContainer;

    public static bool IsReady(JsonObject? status) =>
        (status?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .Any(c => c["type"]?.GetValue<string>() == "Ready" && c["status"]?.GetValue<string>() == "True");

    private static bool Running(JsonObject containerStatus) => containerStatus["state"]?["running"] is not null;

    private static int? ExitCode(JsonObject containerStatus) => containerStatus["state"]?["terminated"]?["exitCode"]?.GetValue<int>();

    private static Dictionary<string, string> StringMap(JsonNode? node)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in node as JsonObject ?? [])
        {
            if (value is JsonValue v && v.TryGetValue<string>(out var text))
            {
                map[key] = text;
            }
        }

        return map;
    }
}
