using Weft.Cli.Local.Probes;
using Weft.Cli.Local.Supervision;
using Weft.ControlPlane.Registry;

namespace Weft.Cli.Tests.Local;

/// <summary>The kubelet's rules the local runtime follows: restart policy, crash back-off, probe thresholds.</summary>
public sealed class SupervisionPolicyTests
{
    [Theory]
    [InlineData("Always", 0, false, true)]
    [InlineData("Always", 137, false, true)]
    [InlineData("OnFailure", 0, false, false)] // a Job that finished
    [InlineData("OnFailure", 1, false, true)]
    [InlineData("OnFailure", 0, true, true)] // a liveness kill is a failure whatever the exit code
    [InlineData("Never", 1, false, false)]
    [InlineData("Never", 0, true, false)]
    public void A_stopped_container_restarts_by_its_policy(string policy, int exitCode, bool killedByProbe, bool restarts) =>
        Assert.Equal(restarts, RestartRule.ShouldRestart(policy, exitCode, killedByProbe));

    [Theory]
    [InlineData(0, false, InstancePhases.Completed)]
    [InlineData(3, false, InstancePhases.Error)]
    [InlineData(0, true, InstancePhases.Error)]
    public void A_container_that_is_not_restarted_is_completed_only_after_a_clean_exit(int exitCode, bool killedByProbe, string phase) =>
        Assert.Equal(phase, RestartRule.FinalPhase(exitCode, killedByProbe));

    [Theory]
    // seconds each run lasted before it stopped → the wait before each restart
    [InlineData(new[] { 1, 1, 1, 1, 1 }, new[] { 0, 10, 20, 40, 80 })]
    [InlineData(new[] { 1, 1, 1, 1, 1, 1, 1, 1, 1 }, new[] { 0, 10, 20, 40, 80, 160, 300, 300, 300 })] // at most 5 minutes
    [InlineData(new[] { 1, 1, 1, 600, 1 }, new[] { 0, 10, 20, 0, 10 })] // 10 minutes of running forgives the past
    [InlineData(new[] { 599, 599 }, new[] { 0, 10 })]
    public void Restarts_back_off_from_10s_doubling_to_5min_and_reset_after_10min_running(int[] ranSeconds, int[] expectedDelays)
    {
        var backOff = new CrashBackOff();
        var clock = DateTimeOffset.UnixEpoch;
        var delays = new List<int>();
        foreach (var ran in ranSeconds)
        {
            var started = clock;
            clock += TimeSpan.FromSeconds(ran);
            var delay = backOff.Next(started, clock);
            delays.Add((int)delay.TotalSeconds);
            clock += delay;
        }

        Assert.Equal(expectedDelays, delays);
    }

    [Theory]
    // results (1 pass, 0 fail), success threshold, failure threshold → the verdict after each result (u: undecided)
    [InlineData("1", 1, 3, "T")]
    [InlineData("000", 1, 3, "uuF")]
    [InlineData("1001", 1, 3, "TTTT")] // failures must be consecutive
    [InlineData("1000", 1, 3, "TTTF")]
    [InlineData("10001", 1, 3, "TTTFT")]
    [InlineData("1101", 2, 1, "uTFF")] // coming back takes two passes in a row
    [InlineData("11011", 2, 1, "uTFFT")]
    public void A_probe_changes_its_verdict_only_after_its_threshold_in_a_row(string results, int successThreshold, int failureThreshold, string verdicts)
    {
        var threshold = new ProbeThreshold(successThreshold, failureThreshold);
        var seen = "";
        foreach (var result in results)
        {
            threshold.Record(result == '1');
            seen += threshold.Passing switch { true => 'T', false => 'F', null => 'u' };
        }

        Assert.Equal(verdicts, seen);
    }

    [Fact]
    public void Record_says_when_the_verdict_changed()
    {
        var threshold = new ProbeThreshold(1, 2);

        Assert.True(threshold.Record(true));
        Assert.False(threshold.Record(true));
        Assert.False(threshold.Record(false));
        Assert.True(threshold.Record(false));
    }
}
