using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Weft.Cli.Local;

/// <summary>
/// Hands out loopback ports for the processes `weft up` starts. A port is chosen here but bound
/// later by a child, so it must not be taken in between: ports come from below the kernel's
/// ephemeral range (no outgoing connection is ever given one), each is probed, and a machine-wide
/// ledger under a file lock keeps concurrent `weft up`s from handing out the same port.
/// </summary>
internal sealed class PortAllocator
{
    private const int First = 22000;
    private const int Last = 31999;
    private static readonly TimeSpan Reservation = TimeSpan.FromMinutes(2);
    private static readonly string Ledger = Path.Combine(Path.GetTempPath(), "weft-ports.ledger");
    private static readonly string LockFile = Path.Combine(Path.GetTempPath(), "weft-ports.lock");

    private int _next = First + Random.Shared.Next(Last - First);

    public int Next()
    {
        using var gate = AcquireLock();
        var now = DateTimeOffset.UtcNow;
        var reserved = ReadLedger(now);
        for (var tried = 0; tried <= Last - First; tried++)
        {
            var port = _next;
            _next = _next >= Last ? First : _next + 1;
            if (reserved.ContainsKey(port) || !IsFree(port))
            {
                continue;
            }

            reserved[port] = now;
            File.WriteAllLines(Ledger, reserved.Select(r => $"{r.Key} {r.Value.ToUnixTimeSeconds()}"));
            return port;
        }

        throw new InvalidOperationException($"no free port between {First} and {Last}");
    }

    private static Dictionary<int, DateTimeOffset> ReadLedger(DateTimeOffset now)
    {
        var reserved = new Dictionary<int, DateTimeOffset>();
        if (!File.Exists(Ledger))
        {
            return reserved;
        }

        foreach (var line in File.ReadAllLines(Ledger))
        {
            var parts = line.Split(' ');
            if (parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var port) && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var seconds))
            {
                var at = DateTimeOffset.FromUnixTimeSeconds(seconds);
                if (now - at < Reservation)
                {
                    reserved[port] = at;
                }
            }
        }

        return reserved;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static FileStream AcquireLock()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                return new FileStream(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(5);
            }
        }
    }
}
