using Weft.Config.Loading;
using Weft.Config.Model;

namespace Weft.Mesh.Analysis;

/// <summary>WEFT0203: every attempt gets perTryTimeout, but the route timeout ends them all first.</summary>
internal static class RetriesBeyondTimeout
{
    public static IEnumerable<ConfigDiagnostic> Find(AnalysisInput input)
    {
        foreach (var virtualService in input.OfType<VirtualService>())
        {
            for (var r = 0; r < virtualService.Spec.Http.Count; r++)
            {
                var http = virtualService.Spec.Http[r];
                if (http is { Timeout: { } timeout, Retries: { Attempts: > 0, PerTryTimeout: { } perTry } retries }
                    && perTry.Value * (retries.Attempts + 1) > timeout.Value)
                {
                    yield return AnalysisInput.Finding(DiagnosticSeverity.Warning, "WEFT0203", virtualService, $"spec.http[{r}].retries",
                        $"{retries.Attempts + 1} attempts × perTryTimeout {perTry} exceed the route timeout {timeout}: the last attempts can never run out their time — fix: raise timeout or lower attempts/perTryTimeout");
                }
            }
        }
    }
}
