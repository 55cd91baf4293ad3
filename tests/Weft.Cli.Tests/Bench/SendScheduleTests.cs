using Weft.Cli.Bench;

namespace Weft.Cli.Tests.Bench;

public sealed class SendScheduleTests
{
    private const long Start = 5_000_000_000;
    private const long TicksPerSecond = 1_000_000_000;

    [Theory]
    [InlineData(1000, 0, 30, 0, 30_000)]
    [InlineData(1000, 5, 30, 5_000, 35_000)]
    [InlineData(2.5, 0, 2, 0, 5)]
    [InlineData(100, 0.25, 1, 25, 125)]
    [InlineData(7, 0, 0.5, 0, 4)]
    public void Counts_warm_up_and_measured_requests_as_rate_times_time(double rate, double warmupSeconds, double durationSeconds, long warmup, long total)
    {
        var schedule = SendSchedule.Create(Start, TicksPerSecond, rate, TimeSpan.FromSeconds(warmupSeconds), TimeSpan.FromSeconds(durationSeconds));

        Assert.Equal(warmup, schedule.WarmupRequests);
        Assert.Equal(total, schedule.TotalRequests);
        Assert.Equal(total - warmup, schedule.MeasuredRequests);
    }

    [Theory]
    [InlineData(1000, 0, 0)]
    [InlineData(1000, 1, 1_000_000)]
    [InlineData(1000, 1000, 1_000_000_000)]
    [InlineData(3, 1, 333_333_333)]
    [InlineData(3, 3, 1_000_000_000)]
    [InlineData(3, 10_800, 3_600_000_000_000)] // an hour at a rate that does not divide the clock: no drift
    [InlineData(0.5, 1, 2_000_000_000)]
    public void Each_request_is_due_at_start_plus_index_over_rate(double rate, long index, long offset)
    {
        var schedule = SendSchedule.Create(Start, TicksPerSecond, rate, TimeSpan.Zero, TimeSpan.FromHours(1));

        Assert.InRange(schedule.DueAt(index) - Start, offset - 1, offset + 1);
    }

    [Fact]
    public void The_measured_window_opens_when_the_first_request_after_the_warm_up_is_due()
    {
        var schedule = SendSchedule.Create(Start, TicksPerSecond, 200, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10));

        Assert.Equal(Start + (2 * TicksPerSecond), schedule.MeasuredFrom);
        Assert.False(schedule.IsMeasured(399));
        Assert.True(schedule.IsMeasured(400));
    }
}
