using System.Globalization;
using Weft.ControlPlane.Registry;
using Weft.ControlPlane.State;

namespace Weft.ControlPlane.Api;

/// <summary>Joins the registry, the runtime's process view and the proxies' sync state into one status.</summary>
public sealed class StatusReporter(MeshState state, IWorkloadRegistry registry, ProxyTracker tracker, ControlPlaneEndpoints endpoints, Certificates.CertificateAuthority authority, Sources.IConfigSource source)
{
    public MeshStatus Report()
    {
        var mesh = state.Current;
        var workloads = new List<WorkloadStatus>();
        foreach (var instance in registry.Instances)
        {
            var runtime = registry.Runtime(instance.Key);
            var identity = instance.Meshed
                ? $"spiffe://{state.Options.TrustDomain}/ns/{instance.Namespace}/sa/{instance.Workload.Spec.ServiceAccount}"
                : "(no sidecar)";
            ProxySyncStatus? proxy = null;
            string? problem = null;
            // An app that finished with 0 is a completed Job: done, not unhealthy (its sidecar ended with it).
            var completed = runtime.Phase == InstancePhases.Completed;
            if (runtime.Phase == InstancePhases.CrashLoopBackOff)
            {
                problem = $"CrashLoopBackOff: application exited with code {runtime.LastExitCode?.ToString(CultureInfo.InvariantCulture) ?? "?"}"
                    + (runtime.Reason is { } waiting ? $"; {waiting}" : "");
            }
            else if (!completed && !runtime.AppRunning)
            {
                problem = instance.Meshed && runtime.AppExitCode is { } exited
                    ? $"application exited with code {exited}"
                    : $"application is not running{ExitText(runtime.AppExitCode)}";
            }

            if (instance.Meshed)
            {
                var tracked = tracker.Find(instance.Key);
                var expected = mesh?.Proxies.GetValueOrDefault(instance.Key)?.Version;
                proxy = new ProxySyncStatus(tracked?.Connected ?? false, expected, tracked?.AckedVersion, tracked?.LastNack, tracked?.CertificateExpiry, tracked?.CertificateIssuedAt);
                problem ??= completed ? null
                    : !runtime.SidecarRunning ? $"sidecar is not running{ExitText(runtime.SidecarExitCode)}"
                    : tracked is not { Connected: true } ? "sidecar is not connected to the control plane"
                    : tracked.CertificateExpiry is null ? "sidecar has no certificate"
                    : tracked.LastNack is { } nack ? $"sidecar rejected config: {nack}"
                    : tracked.AckedVersion != expected ? $"sidecar serves config version {tracked.AckedVersion ?? "none"}, latest is {expected}"
                    : null;
            }

            if (problem is null && !completed && !instance.Ready)
            {
                // Withdrawn from every proxy's endpoints by the runtime: a probe fails, or it is stopping.
                problem = $"not ready: {runtime.Reason ?? runtime.Phase}";
            }

            workloads.Add(new WorkloadStatus(
                instance.Name,
                instance.Namespace,
                identity,
                instance.Meshed,
                runtime.OutboundPort,
                new Dictionary<int, int>(runtime.InboundPorts),
                new Dictionary<int, int>(runtime.AppPorts),
                runtime.AdminPort,
                runtime.AppPid,
                runtime.SidecarPid,
                runtime.AppRunning,
                runtime.SidecarRunning,
                proxy,
                problem is null,
                problem,
                runtime.Address)
            {
                Owner = instance.Workload.Name,
                Restarts = runtime.Restarts,
                Phase = runtime.Phase,
                LastExitCode = runtime.LastExitCode,
                LastExitAt = runtime.LastExitAt,
                AppLogFile = runtime.AppLogFile,
            });
        }

        var controlPlane = new ControlPlaneStatus(
            mesh?.Version.ToString(CultureInfo.InvariantCulture) ?? "none",
            endpoints.ConfigDirectory,
            endpoints.ApiAddress,
            endpoints.DiscoveryAddress,
            mesh?.PublishedAt,
            DiagnosticText.Of(mesh?.Warnings ?? []),
            state.LastRejection is { } rejection ? new RejectionStatus(rejection.RejectedAt, DiagnosticText.Of(rejection.Errors)) : null,
            new DateTimeOffset(authority.Root.NotAfter.ToUniversalTime(), TimeSpan.Zero))
        {
            RefusedResources = DiagnosticText.Of(source.Refused),
        };
        return new MeshStatus(controlPlane, workloads);
    }

    private static string ExitText(int? exitCode) => exitCode is { } code ? $" (exited with code {code})" : "";
}

/// <summary>Where the control plane is reachable, for status output.</summary>
public sealed record ControlPlaneEndpoints(string ConfigDirectory, string ApiAddress, string DiscoveryAddress);
