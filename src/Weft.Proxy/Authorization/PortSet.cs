namespace Weft.Proxy.Authorization;

/// <summary>ports / notPorts of an operation.</summary>
internal sealed class PortSet
{
    private readonly int[] _ports;
    private readonly int[] _notPorts;

    public PortSet(IReadOnlyList<int> ports, IReadOnlyList<int> notPorts)
    {
        _ports = [.. ports];
        _notPorts = [.. notPorts];
    }

    public bool IsEmpty => _ports.Length == 0 && _notPorts.Length == 0;

    public bool IsMatch(int port) =>
        (_ports.Length == 0 || Array.IndexOf(_ports, port) >= 0)
        && (_notPorts.Length == 0 || Array.IndexOf(_notPorts, port) < 0);
}
