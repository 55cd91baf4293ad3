using Microsoft.Extensions.Time.Testing;
using Weft.Proxy.Telemetry;

namespace Weft.Proxy.Tests.Telemetry;

public sealed class MetricsHistoryTests
{
    [Theory]
    [InlineData(60, "t=10")] // the newest snapshot at least a minute old
    [InlineData(35, "t=30")]
    [InlineData(0, "t=70")]
    [InlineData(600, "t=0")] // older than anything kept: the oldest kept
    public void Before_returns_the_newest_snapshot_at_least_that_old(int agoSeconds, string expected)
    {
        var time = new FakeTimeProvider();
        var history = new MetricsHistory(time);
        for (var t = 0; t <= 70; t += 10)
        {
            history.Add($"t={t}");
            if (t < 70)
            {
                time.Advance(TimeSpan.FromSeconds(10));
            }
        }

        Assert.Equal(expected, history.Before(TimeSpan.FromSeconds(agoSeconds))!.Value.Text);
    }

    [Fact]
    public void Only_the_last_eight_are_kept()
    {
        var time = new FakeTimeProvider();
        var history = new MetricsHistory(time);
        Assert.Null(history.Before(TimeSpan.Zero));
        for (var t = 0; t < 12; t++)
        {
            history.Add($"t={t}");
            time.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.Equal("t=4", history.Before(TimeSpan.FromHours(1))!.Value.Text);
    }
}
