using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using k8s;

namespace Weft.Kubernetes.Api;

/// <summary>
/// One API server, reached with a kubeconfig's (or the pod's service account's) credentials.
/// Requests are plain JSON on any group, version and resource: the informers read Istio's and the
/// Gateway API's kinds and every version of discovery.k8s.io the same way.
/// </summary>
public sealed class KubernetesConnection : IDisposable
{
    private readonly k8s.Kubernetes _client;
    private readonly Uri _base;

    private KubernetesConnection(KubernetesClientConfiguration configuration)
    {
        // Watches stay open for minutes; each request is bounded by its own cancellation instead.
        configuration.HttpClientTimeout = Timeout.InfiniteTimeSpan;
        _client = new k8s.Kubernetes(configuration);
        var server = _client.BaseUri.ToString();
        _base = new Uri(server.EndsWith('/') ? server : server + "/");
        Namespace = configuration.Namespace;
    }

    /// <summary>
    /// The kubeconfig's connection: <paramref name="path"/>, else $KUBECONFIG, else ~/.kube/config;
    /// <paramref name="context"/>, else its current context.
    /// </summary>
    public static KubernetesConnection FromKubeconfig(string? path, string? context)
    {
        path ??= Environment.GetEnvironmentVariable("KUBECONFIG")?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return new KubernetesConnection(KubernetesClientConfiguration.BuildConfigFromConfigFile(path, context));
    }

    /// <summary>Inside a pod: the service account's token and the cluster's CA.</summary>
    public static KubernetesConnection InCluster() => new(KubernetesClientConfiguration.InClusterConfig());

    /// <summary>The kubeconfig when one is given or found, else the pod's own service account.</summary>
    public static KubernetesConnection Open(string? kubeconfig, string? context) =>
        kubeconfig is null && context is null && KubernetesClientConfiguration.IsInCluster() ? InCluster() : FromKubeconfig(kubeconfig, context);

    /// <summary>The typed client, for the API's well-known kinds.</summary>
    public IKubernetes Client => _client;

    public Uri Server => _base;

    /// <summary>The kubeconfig context's namespace (or the pod's own), if it names one.</summary>
    public string? Namespace { get; }

    public Task<JsonObject> GetAsync(string path, CancellationToken cancellation) => SendAsync(HttpMethod.Get, path, null, cancellation);

    /// <summary>Sends a JSON request and returns the answer; a status ≥ 400 throws <see cref="KubernetesApiException"/>.</summary>
    public async Task<JsonObject> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellation, string contentType = "application/json")
    {
        using var response = await SendRawAsync(method, path, body, HttpCompletionOption.ResponseContentRead, cancellation, contentType);
        var text = await response.Content.ReadAsStringAsync(cancellation);
        return JsonNode.Parse(text) as JsonObject ?? throw new KubernetesApiException(response.StatusCode, "", $"{method} {path}: the answer is not a JSON object");
    }

    /// <summary>Opens a streaming GET (a watch); the caller reads and disposes the response.</summary>
    public Task<HttpResponseMessage> OpenStreamAsync(string path, CancellationToken cancellation) =>
        SendRawAsync(HttpMethod.Get, path, null, HttpCompletionOption.ResponseHeadersRead, cancellation, "application/json");

    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, JsonNode? body, HttpCompletionOption completion, CancellationToken cancellation, string contentType)
    {
        using var request = new HttpRequestMessage(method, new Uri(_base, path.TrimStart('/')));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        if (_client.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, cancellation);
        }

        var response = await _client.HttpClient.SendAsync(request, completion, cancellation);
        if ((int)response.StatusCode >= 400)
        {
            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(cancellation);
                throw KubernetesApiException.From(response.StatusCode, method, path, text);
            }
        }

        return response;
    }

    public void Dispose() => _client.Dispose();
}

/// <summary>The API server refused a request: its HTTP status, the Status reason and message.</summary>
public sealed class KubernetesApiException(HttpStatusCode status, string reason, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    /// <summary>The Status object's reason (NotFound, Gone, Expired, Forbidden, …).</summary>
    public string Reason { get; } = reason;

    /// <summary>The resource version is too old to watch from (410 Gone, or a Status reason Expired): list again.</summary>
    public bool Expired => Status == HttpStatusCode.Gone || Reason is "Expired" or "Gone";

    internal static KubernetesApiException From(HttpStatusCode status, HttpMethod method, string path, string body)
    {
        string reason = "", message = body;
        try
        {
            if (JsonNode.Parse(body) is JsonObject statusObject)
            {
                reason = statusObject["reason"]?.GetValue<string>() ?? "";
                message = statusObject["message"]?.GetValue<string>() ?? body;
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return new KubernetesApiException(status, reason, $"{method} {path}: {(int)status} {message}");
    }

    /// <summary>A Status object the server sent inside a watch stream (an ERROR event).</summary>
    internal static KubernetesApiException FromStatus(JsonObject? statusObject) => new(
        (HttpStatusCode)(statusObject?["code"]?.GetValue<int>() ?? 500),
        statusObject?["reason"]?.GetValue<string>() ?? "",
        statusObject?["message"]?.GetValue<string>() ?? "watch error");
}
