using System.Runtime.InteropServices;

namespace Weft.IntegrationTests;

/// <summary>Signals .NET's Process cannot send: SIGINT, as Ctrl-C does (weft up stops its mesh; tcpdump flushes its capture).</summary>
internal static partial class Signals
{
    private const int SigInt = 2;

    public static void Interrupt(int pid) => _ = Kill(pid, SigInt);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
