using System.Runtime.InteropServices;
using Weft.Proxy.Hosting;

// `weft-proxy [proxy] ARGS`: the same options as `weft proxy` (a leading "proxy" is accepted, so a
// launcher can run either executable with the same arguments).
var rest = args is ["proxy", ..] ? args[1..] : args;
using var cancellation = new CancellationTokenSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cancellation.Cancel(); });
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cancellation.Cancel(); });
try
{
    return await ProxyHost.RunAsync(ProxyOptions.Parse(rest), cancellation.Token);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"weft-proxy: {e.Message}");
    return 2;
}
catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
{
    return 130;
}
