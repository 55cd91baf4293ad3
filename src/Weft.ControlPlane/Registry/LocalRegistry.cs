using System.Collections.Concurrent;
using System.Security.Cryptography;
using Weft.Mesh.Model;

namespace Weft.ControlPlane.Registry;

/// <summary>
/// The instances the local runtime started, where they listen, and the secret each one's
/// sidecar presents to prove which workload it is (a service-account token in Kubernetes terms).
/// </summary>
public sealed class LocalRegistry : IWorkloadRegistry, IProxyAuthenticator
{
    private readonly ConcurrentDictionary<string, WorkloadInstance> _instances = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _instanceByToken = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, InstanceRuntime> _runtime = new(StringComparer.Ordinal);
    private readonly Lock _batchGate = new();
    private int _batches;
    private bool _changedInBatch;

    public event Action? Changed;

    public IReadOnlyList<WorkloadInstance> Instances => _instances.Values.OrderBy(i => i.Key, StringComparer.Ordinal).ToList();

    /// <summary>Registers (or replaces) an instance and returns its sidecar's bootstrap token.</summary>
    public string Register(WorkloadInstance instance)
    {
        _instances[instance.Key] = instance;
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        _instanceByToken[token] = instance.Key;
        RaiseChanged();
        return token;
    }

    /// <summary>
    /// Holds <see cref="Changed"/> back until the returned scope is disposed, then raises it once:
    /// registering N instances in a batch recompiles the mesh once instead of N times.
    /// </summary>
    public IDisposable Batch()
    {
        lock (_batchGate)
        {
            _batches++;
        }

        return new BatchScope(this);
    }

    private void RaiseChanged()
    {
        lock (_batchGate)
        {
            if (_batches > 0)
            {
                _changedInBatch = true;
                return;
            }
        }

        Changed?.Invoke();
    }

    private void EndBatch()
    {
        bool raise;
        lock (_batchGate)
        {
            raise = --_batches == 0 && _changedInBatch;
            if (raise)
            {
                _changedInBatch = false;
            }
        }

        if (raise)
        {
            Changed?.Invoke();
        }
    }

    private sealed class BatchScope(LocalRegistry registry) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                registry.EndBatch();
            }
        }
    }

    public WorkloadInstance? Find(string key) => _instances.GetValueOrDefault(key);

    /// <summary>
    /// Says whether an instance can take traffic; a change recompiles the mesh at once, which adds
    /// or withdraws its endpoints in every proxy's config. Returns false when nothing changed.
    /// </summary>
    public bool SetReady(string key, bool ready)
    {
        while (_instances.TryGetValue(key, out var instance))
        {
            if (instance.Ready == ready)
            {
                return false;
            }

            if (_instances.TryUpdate(key, instance with { Ready = ready }, instance))
            {
                RaiseChanged();
                return true;
            }
        }

        return false;
    }

    /// <summary>Forgets an instance that was replaced or stopped for good; its bootstrap token stops working.</summary>
    public void Remove(string key)
    {
        if (!_instances.TryRemove(key, out _))
        {
            return;
        }

        foreach (var (token, owner) in _instanceByToken)
        {
            if (owner == key)
            {
                _instanceByToken.TryRemove(token, out _);
            }
        }

        _runtime.TryRemove(key, out _);
        RaiseChanged();
    }

    /// <summary>Set by the runtime that can replace a workload's replicas (`weft restart`); null when none can.</summary>
    public IWorkloadRestarter? Restarter { get; set; }

    /// <summary>The runtime's record of an instance's ports and processes (created on first use).</summary>
    public InstanceRuntime Runtime(string key) => _runtime.GetOrAdd(key, _ => new InstanceRuntime());

    /// <summary>The instance a bootstrap token was issued to, if the token is genuine and matches the claimed name.</summary>
    public WorkloadInstance? Authenticate(string? token, string workload, string @namespace)
    {
        if (string.IsNullOrEmpty(token) || !_instanceByToken.TryGetValue(token, out var key) || key != $"{@namespace}/{workload}")
        {
            return null;
        }

        return _instances.GetValueOrDefault(key);
    }

    public ValueTask<ProxyAuthentication> AuthenticateAsync(string? credential, string workload, string @namespace, CancellationToken cancellation) =>
        ValueTask.FromResult(Authenticate(credential, workload, @namespace) is { } instance
            ? ProxyAuthentication.Of(instance)
            : ProxyAuthentication.Refused($"unknown workload {@namespace}/{workload} or bad bootstrap token"));
}
