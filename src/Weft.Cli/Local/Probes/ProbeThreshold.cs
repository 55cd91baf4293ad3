namespace Weft.Cli.Local.Probes;

/// <summary>
/// A probe's verdict from its results (Kubernetes' rule): unknown until it first decides, success
/// after successThreshold successes in a row, failure after failureThreshold failures in a row,
/// and unchanged otherwise.
/// </summary>
internal sealed class ProbeThreshold(int successThreshold, int failureThreshold)
{
    private int _successes;
    private int _failures;

    /// <summary>Null until the probe has decided either way.</summary>
    public bool? Passing { get; private set; }

    /// <summary>Counts one result; returns true when the verdict changed.</summary>
    public bool Record(bool success)
    {
        if (success)
        {
            _failures = 0;
            _successes++;
        }
        else
        {
            _successes = 0;
            _failures++;
        }

        bool? verdict = Passing is not true && _successes >= successThreshold ? true
            : Passing is not false && _failures >= failureThreshold ? false
            : Passing;
        if (verdict == Passing)
        {
            return false;
        }

        Passing = verdict;
        return true;
    }
}
