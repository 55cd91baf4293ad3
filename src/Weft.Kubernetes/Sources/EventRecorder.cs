using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Weft.Kubernetes.Api;
using Weft.Kubernetes.Mapping;

namespace Weft.Kubernetes.Sources;

/// <summary>Writes core/v1 Events about objects, so `kubectl describe` and `kubectl get events` show what Weft thinks of them.</summary>
public sealed partial class EventRecorder(KubernetesConnection api, TimeProvider time, ILogger<EventRecorder> logger)
{
    public const string Component = "weft-control-plane";

    public async Task WarnAsync(JsonObject about, string reason, string message, CancellationToken cancellation)
    {
        var ns = ApiObjects.Namespace(about) ?? "default";
        var now = time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var name = ApiObjects.Name(about);
        var body = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Event",
            ["metadata"] = new JsonObject { ["generateName"] = $"{name}.", ["namespace"] = ns },
            ["involvedObject"] = new JsonObject
            {
                ["apiVersion"] = about["apiVersion"]?.DeepClone(),
                ["kind"] = about["kind"]?.DeepClone(),
                ["name"] = name,
                ["namespace"] = ApiObjects.Namespace(about),
                ["uid"] = ApiObjects.Uid(about),
                ["resourceVersion"] = ApiObjects.ResourceVersion(about),
            },
            ["reason"] = reason,
            ["message"] = message.Length > 1024 ? message[..1021] + "..." : message,
            ["type"] = "Warning",
            ["source"] = new JsonObject { ["component"] = Component },
            ["reportingComponent"] = Component,
            ["firstTimestamp"] = now,
            ["lastTimestamp"] = now,
            ["count"] = 1,
        };
        try
        {
            await api.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{Uri.EscapeDataString(ns)}/events", body, cancellation);
        }
        catch (Exception e) when (e is KubernetesApiException or HttpRequestException or IOException)
        {
            // The object is refused either way and the status API says so; an Event is a courtesy.
            Log.NotRecorded(logger, ApiObjects.Reference(about), e.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(120, LogLevel.Warning, "Could not record an Event on {Object}: {Error}")]
        public static partial void NotRecorded(ILogger logger, string @object, string error);
    }
}
