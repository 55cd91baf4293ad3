using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Weft.ControlPlane.Hosting;
using Weft.Kubernetes.Admission;
using Weft.Kubernetes.Api;
using Weft.Kubernetes.Hosting;
using Weft.Kubernetes.Identity;
using Weft.Kubernetes.Injection;

namespace Weft.Cli.Commands;

/// <summary>
/// `weft control-plane`: the control plane of a Kubernetes cluster, run as a process outside it
/// (the in-cluster Deployment of `weft install` is not built yet). It reads the cluster through
/// the kubeconfig, serves sidecars on --listen, and leaves the state file that `weft status`,
/// `weft check` and `weft proxy-config` read. With --webhook-url it registers the validating
/// webhook at that URL, and removes it again when it stops.
/// </summary>
internal static class ControlPlaneCommand
{
    private static readonly string[] Known = ["--kubeconfig", "--context", "-n", "--namespace", "--state-dir", "--listen", "--discovery-port", "--api-port", "--webhook-port", "--webhook-url", "--token-audience", "--root-secret", "--proxy-image", "--advertise"];

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellation)
    {
        var arguments = new CliArguments(args);
        if (arguments.OptionNames.FirstOrDefault(o => Array.IndexOf(Known, o) < 0) is { } unknown)
        {
            throw new ArgumentException($"weft control-plane: unknown option {unknown}");
        }

        var listen = arguments["--listen"] is { } address ? IPAddress.Parse(address) : IPAddress.Loopback;
        var stateDirectory = Path.GetFullPath(arguments.StateDirectory);
        Directory.CreateDirectory(stateDirectory);
        using var loggerFactory = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            })
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("Grpc", LogLevel.Warning));

        var rootSecret = (arguments["--root-secret"] ?? $"weft-system/{RootSecret.DefaultName}").Split('/');
        if (rootSecret.Length != 2 || rootSecret.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException($"--root-secret: '{arguments["--root-secret"]}' is not NAMESPACE/NAME");
        }

        using var api = KubernetesConnection.Open(arguments["--kubeconfig"], arguments["--context"]);
        try
        {
            await api.GetAsync($"/api/v1/namespaces/{Uri.EscapeDataString(rootSecret[0])}", cancellation);
        }
        catch (KubernetesApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            Console.Error.WriteLine($"weft control-plane: namespace {rootSecret[0]}, where the CA root is kept, does not exist: `kubectl create namespace {rootSecret[0]}`, or --root-secret NAMESPACE/NAME");
            return 1;
        }

        var namespaces = (arguments["-n"] ?? arguments["--namespace"])?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        await using var controlPlane = await KubernetesControlPlane.StartAsync(api, new KubernetesControlPlaneOptions
        {
            ControlPlane = new ControlPlaneOptions
            {
                StateDirectory = stateDirectory,
                DiscoveryListenAddress = listen,
                DiscoveryPort = Port(arguments["--discovery-port"]),
                ApiPort = Port(arguments["--api-port"]),
            },
            Namespaces = namespaces,
            RootSecret = (rootSecret[0], rootSecret[1]),
            TokenAudience = arguments["--token-audience"] ?? TokenReviewAuthenticator.DefaultAudience,
        }, loggerFactory, cancellation);
        var host = controlPlane.Host;

        using var certificate = host.Authority.IssueServingCertificate(new Protocol.Identity.SpiffeId(host.Authority.TrustDomain, "weft-system", "weft-control-plane"),
            ["localhost"], [.. new[] { IPAddress.Loopback, listen }.Distinct()]);
        var version = await ServerVersion.GetAsync(api, cancellation);
        var injection = new InjectionSettings
        {
            // Where pods reach the discovery endpoint: --advertise (an address pods can route to), else the listen address.
            ControlPlaneAddress = arguments["--advertise"] is { } advertised ? $"https://{advertised}:{host.DiscoveryPort.ToString(CultureInfo.InvariantCulture)}" : host.DiscoveryAddress,
            ControlPlaneRootPem = host.Authority.RootPem,
            TrustDomain = host.Authority.TrustDomain,
            Image = arguments["--proxy-image"] ?? InjectionSettings.DefaultImage,
            TokenAudience = arguments["--token-audience"] ?? TokenReviewAuthenticator.DefaultAudience,
            NativeSidecars = version.NativeSidecars,
        };
        await using var admission = await AdmissionServer.StartAsync(listen, Port(arguments["--webhook-port"]), certificate, loggerFactory, cancellation, injection);
        var webhookUrl = arguments["--webhook-url"];
        if (webhookUrl is not null)
        {
            await RegisterWebhooksAsync(api, WebhookEndpoint.At(webhookUrl), host.Authority.RootPem, cancellation);
        }

        var meshFile = StatePaths.MeshFile(stateDirectory);
        await File.WriteAllTextAsync(meshFile + ".tmp", JsonSerializer.Serialize(
            new MeshFile(host.ApiAddress, Environment.ProcessId, api.Server.ToString(), stateDirectory), ControlPlaneHost.JsonOptions), cancellation);
        File.Move(meshFile + ".tmp", meshFile, overwrite: true);
        await File.WriteAllTextAsync(Path.Combine(stateDirectory, "control-plane-root.pem"), host.Authority.RootPem, cancellation);
        Console.WriteLine($"control plane of {api.Server}: sidecars at {host.DiscoveryAddress} (root {Path.Combine(stateDirectory, "control-plane-root.pem")}), "
            + $"API {host.ApiAddress}, webhooks https://{listen}:{admission.Port.ToString(CultureInfo.InvariantCulture)} ({AdmissionServer.ValidatePath}, {AdmissionServer.InjectPath}); "
            + $"server {version}: the proxy is injected as {(injection.NativeSidecars ? "a native sidecar" : "a regular container")}. Ctrl-C stops it.");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellation);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
        }
        finally
        {
            File.Delete(meshFile);
            if (webhookUrl is not null)
            {
                // A fail-closed webhook nobody answers would block every apply of the mesh's kinds.
                await DeleteWebhooksAsync(api);
            }
        }

        return 0;
    }

    private static int Port(string? text) =>
        text is null ? 0 : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535 ? port : throw new ArgumentException($"'{text}' is not a port");

    private const string Validating = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations";
    private const string Mutating = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations";

    private static async Task RegisterWebhooksAsync(KubernetesConnection api, WebhookEndpoint endpoint, string rootPem, CancellationToken cancellation)
    {
        await DeleteWebhooksAsync(api);
        await api.SendAsync(HttpMethod.Post, Validating, WebhookConfigurations.Validating(endpoint, rootPem), cancellation);
        await api.SendAsync(HttpMethod.Post, Mutating, WebhookConfigurations.Mutating(endpoint, rootPem), cancellation);
    }

    private static async Task DeleteWebhooksAsync(KubernetesConnection api)
    {
        foreach (var path in new[] { $"{Validating}/{WebhookConfigurations.ValidatingName}", $"{Mutating}/{WebhookConfigurations.MutatingName}" })
        {
            try
            {
                await api.SendAsync(HttpMethod.Delete, path, null, CancellationToken.None);
            }
            catch (KubernetesApiException e) when (e.Status == HttpStatusCode.NotFound)
            {
            }
        }
    }
}
