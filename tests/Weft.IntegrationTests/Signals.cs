using System.Globalization;
using System.Runtime.InteropServices;

namespace Weft.IntegrationTests;

/// <summary>
/// Signals .NET's Process cannot send: SIGINT, as Ctrl-C does (weft up stops its mesh; tcpdump
/// flushes its capture), and SIGTERM, as a service manager does.
/// </summary>
internal static partial class Signals
{
    private const int SigInt = 2;
    private const int SigTerm = 15;

    public static void Terminate(int pid) => _ = Kill(pid, SigTerm);

    /// <exception cref="InvalidOperationException">
    /// The process ignores SIGINT: it inherited that from a test run started as a background job
    /// without job control (`(dotnet test &amp;)`), which Ctrl-C can never stop either.
    /// </exception>
    public static void Interrupt(int pid)
    {
        if (IgnoresInterrupt(pid))
        {
            throw new InvalidOperationException($"process {pid} ignores SIGINT, inherited from how the tests were started " +
                "(a background job without job control ignores it, and so does everything it starts); run them in the foreground or under `timeout`");
        }

        _ = Kill(pid, SigInt);
    }

    /// <summary>Whether SIGINT is in the process's ignored set (/proc/PID/status, SigIgn: a hex mask, bit n-1 for signal n).</summary>
    private static bool IgnoresInterrupt(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
            return line is not null && ulong.TryParse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var mask)
                && (mask & (1UL << (SigInt - 1))) != 0;
        }
        catch (IOException)
        {
            return false; // gone already, or no /proc: nothing to warn about
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
