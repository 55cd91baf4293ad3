using System.Net;
using System.Net.Sockets;

namespace Weft.Cli.Local;

/// <summary>
/// Hands out free loopback ports. Each is held open until all of a batch are chosen so none is
/// handed out twice, then released for the process that will bind it.
/// </summary>
internal sealed class PortAllocator : IDisposable
{
    private readonly List<TcpListener> _held = [];

    public int Next()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        _held.Add(listener);
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        foreach (var listener in _held)
        {
            listener.Stop();
        }

        _held.Clear();
    }
}
