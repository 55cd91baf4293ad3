using Weft.Config.Model;

namespace Weft.Cli.Local.Probes;

/// <summary>
/// Runs one probe of a running app every periodSeconds (after initialDelaySeconds) and calls back
/// when its verdict changes; the callback says whether to keep probing (a startup probe stops at
/// its first success).
/// </summary>
internal sealed class ProbeRunner(Probe probe, ProbeTarget target, TimeProvider time)
{
    public async Task RunAsync(Func<bool, string, bool> onVerdict, CancellationToken cancellation)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(probe.InitialDelaySeconds), time, cancellation);
            var threshold = new ProbeThreshold(probe.SuccessThreshold, probe.FailureThreshold);
            while (true)
            {
                var result = await ProbeCheck.RunAsync(probe, target, cancellation);
                if (threshold.Record(result.Success) && !onVerdict(threshold.Passing!.Value, result.Detail))
                {
                    return;
                }

                await Task.Delay(TimeSpan.FromSeconds(probe.PeriodSeconds), time, cancellation);
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // the app stopped, or the mesh is stopping
        }
    }
}
