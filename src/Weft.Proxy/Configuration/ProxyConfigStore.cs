using Weft.Protocol.V1;

namespace Weft.Proxy.Configuration;

/// <summary>
/// The config the proxy serves. A new config replaces the old only once it has compiled; a
/// config that fails stays out and the previous one keeps serving (the proxy NACKs it).
/// </summary>
internal sealed class ProxyConfigStore(IReadOnlyDictionary<int, int> listenPortByWorkloadPort, Authentication.JsonWebKeySetCache keySets)
{
    private volatile ProxySnapshot? _current;
    private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ProxySnapshot? Current => _current;

    public Task FirstConfig => _first.Task;

    public int Updates { get; private set; }

    public int Rejections { get; private set; }

    /// <summary>Raised after a new config is in force.</summary>
    public event Action<ProxySnapshot>? Applied;

    public ProxySnapshot Apply(ProxyConfig config)
    {
        ProxySnapshot snapshot;
        try
        {
            snapshot = ProxySnapshot.Build(config, listenPortByWorkloadPort, keySets, _current);
        }
        catch
        {
            Rejections++;
            throw;
        }

        _current = snapshot;
        Updates++;
        _first.TrySetResult();
        Applied?.Invoke(snapshot);
        return snapshot;
    }
}
