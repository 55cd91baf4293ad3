using System.Security.Cryptography.X509Certificates;

namespace Weft.Proxy.Tls;

/// <summary>
/// The proxy's current certificate and the roots it trusts; swapped whole, read per handshake.
/// Two sources change it: the certificate manager (a newly issued certificate) and the config
/// stream (a root added or retired). Once the config names roots, they win over the bundle that
/// came with a certificate: a signing response that arrives after a root was retired must not
/// bring the retired root back.
/// </summary>
public sealed class CredentialStore
{
    private readonly TaskCompletionSource<MeshCredentials> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private volatile MeshCredentials? _current;
    private IReadOnlyList<X509Certificate2>? _configuredRoots;

    public MeshCredentials? Current => _current;

    /// <summary>A certificate issued to this proxy, with the roots the config names if it has named any.</summary>
    public void Update(MeshCredentials credentials)
    {
        lock (_gate)
        {
            Set(_configuredRoots is { } roots ? MeshCredentials.Create(credentials.Leaf, roots) : credentials);
        }
    }

    /// <summary>The roots the config names: they replace the trust bundle at once, keeping the certificate.</summary>
    public void UpdateTrust(IReadOnlyList<X509Certificate2> roots)
    {
        lock (_gate)
        {
            _configuredRoots = roots;
            if (_current is { } current)
            {
                Set(MeshCredentials.Create(current.Leaf, roots));
            }
        }
    }

    public Task<MeshCredentials> WaitForFirstAsync(CancellationToken cancellation) => _first.Task.WaitAsync(cancellation);

    private void Set(MeshCredentials credentials)
    {
        _current = credentials;
        _first.TrySetResult(credentials);
    }
}
