using Weft.Config.Model;

namespace Weft.Cli.Local.Supervision;

/// <summary>Whether a container that stopped is started again, by the pod's restartPolicy (Kubernetes' rule).</summary>
internal static class RestartRule
{
    /// <param name="killedByProbe">A liveness or startup probe failed and the runtime stopped it: a failure, whatever the exit code.</param>
    public static bool ShouldRestart(string policy, int exitCode, bool killedByProbe) => policy switch
    {
        RestartPolicies.Always => true,
        RestartPolicies.OnFailure => exitCode != 0 || killedByProbe,
        _ => false,
    };

    /// <summary>The phase of a container that stopped and will not be restarted.</summary>
    public static string FinalPhase(int exitCode, bool killedByProbe) =>
        exitCode == 0 && !killedByProbe ? ControlPlane.Registry.InstancePhases.Completed : ControlPlane.Registry.InstancePhases.Error;
}
