namespace Weft.Proxy.Tls;

/// <summary>The proxy's current certificate; swapped whole on rotation, read per handshake.</summary>
public sealed class CredentialStore
{
    private readonly TaskCompletionSource<MeshCredentials> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile MeshCredentials? _current;

    public MeshCredentials? Current => _current;

    public void Update(MeshCredentials credentials)
    {
        _current = credentials;
        _first.TrySetResult(credentials);
    }

    public Task<MeshCredentials> WaitForFirstAsync(CancellationToken cancellation) => _first.Task.WaitAsync(cancellation);
}
