using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Weft.Cli.Bench;

/// <summary>
/// Waits for a <see cref="Stopwatch"/> timestamp on the dispatcher's own thread. Thread.Sleep and
/// timers only wake in whole milliseconds (about 1.1 ms on Linux), which at 1000 requests/s would
/// add up to a period of lag to every request and blur the sub-millisecond differences that
/// comparing a direct call with one through a sidecar is about. On Linux nanosleep wakes within the
/// kernel's timer slack (50 µs by default) instead; elsewhere the whole-millisecond sleep remains.
/// </summary>
internal static class ScheduleClock
{
    /// <summary>Long waits are cut into slices so that a stop request is noticed within one.</summary>
    private static readonly long Slice = Stopwatch.Frequency / 20;

    private static readonly double NanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    /// <summary>Returns at or soon after <paramref name="timestamp"/>, or early once <paramref name="stop"/> is cancelled.</summary>
    public static void SleepUntil(long timestamp, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var remaining = timestamp - Stopwatch.GetTimestamp();
            if (remaining <= 0)
            {
                return;
            }

            Sleep(Math.Min(remaining, Slice));
        }
    }

    private static void Sleep(long ticks)
    {
        if (OperatingSystem.IsLinux())
        {
            var nanoseconds = (long)(ticks * NanosecondsPerTick);
            var request = new Timespec { Seconds = nanoseconds / 1_000_000_000, Nanoseconds = nanoseconds % 1_000_000_000 };
            _ = NanoSleep(ref request, IntPtr.Zero); // interrupted early (EINTR): the caller's loop sleeps again
        }
        else
        {
            Thread.Sleep(Math.Max(1, (int)(ticks * 1000 / Stopwatch.Frequency)));
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "nanosleep")]
    private static extern int NanoSleep(ref Timespec request, IntPtr remaining);
}
