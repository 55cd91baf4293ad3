using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using Weft.Proxy.Forwarding;
using Weft.Proxy.LoadBalancing;

namespace Weft.Proxy.Http1;

/// <summary>
/// Kept-alive HTTP/1.1 connections per upstream: to each peer sidecar (mTLS with the proxy's current
/// certificate, the peer's exact SPIFFE ID required — <see cref="UpstreamClients.ConnectAsync"/>) and to
/// the local app. The most recently used connection is reused first (warm, least likely to be closed
/// by the peer's idle timeout); connections idle longer than <see cref="IdleTimeout"/> are closed.
/// </summary>
internal sealed class UpstreamPool : IAsyncDisposable
{
    /// <summary>Idle connections are closed after this (SocketsHttpHandler's default pooled idle timeout).</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(1);

    /// <summary>A TCP connect (plus the mTLS handshake) that takes longer fails as a connect failure (Istio's default connectTimeout).</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly UpstreamClients _clients;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<UpstreamKey, ConcurrentStack<UpstreamConnection>> _idle = new();
    private readonly ITimer _reaper;

    public UpstreamPool(UpstreamClients clients, TimeProvider time)
    {
        _clients = clients;
        _time = time;
        _reaper = time.CreateTimer(static self => ((UpstreamPool)self!).CloseIdle(), this, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(15));
    }

    /// <summary>A kept-alive connection to <paramref name="key"/> if one is alive, else a new one.</summary>
    public ValueTask<UpstreamConnection> RentAsync(UpstreamKey key, EndpointState? endpoint, CancellationToken cancellation)
    {
        if (_idle.TryGetValue(key, out var stack))
        {
            while (stack.TryPop(out var connection))
            {
                if (connection.IsAlive)
                {
                    return ValueTask.FromResult(connection);
                }

                _ = connection.DisposeAsync();
            }
        }

        return ConnectAsync(key, endpoint, cancellation);
    }

    public void Return(UpstreamConnection connection)
    {
        connection.Park(_time.GetTimestamp());
        _idle.GetOrAdd((UpstreamKey)connection.Key, static _ => new ConcurrentStack<UpstreamConnection>()).Push(connection);
    }

    private async ValueTask<UpstreamConnection> ConnectAsync(UpstreamKey key, EndpointState? endpoint, CancellationToken cancellation)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            var stream = await _clients.ConnectAsync(new DnsEndPoint(key.Host, key.Port), endpoint, SslApplicationProtocol.Http11, timeout.Token);
            return new UpstreamConnection(stream, key);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new HttpRequestException(HttpRequestError.ConnectionError, $"connect timeout {ConnectTimeout.TotalMilliseconds} ms to {key.Host}:{key.Port} exceeded", new TimeoutException());
        }
    }

    private void CloseIdle()
    {
        var now = _time.GetTimestamp();
        // Stacks stay in the dictionary when empty (there is one per upstream, and removing one could
        // race a Return into it).
        foreach (var stack in _idle.Values)
        {
            // Keep the fresh ones: pop everything, push back what is still young and alive.
            var kept = new List<UpstreamConnection>();
            while (stack.TryPop(out var connection))
            {
                if (connection.IsAlive && _time.GetElapsedTime(connection.IdleSince, now) < IdleTimeout)
                {
                    kept.Add(connection);
                }
                else
                {
                    _ = connection.DisposeAsync();
                }
            }

            for (var i = kept.Count - 1; i >= 0; i--)
            {
                stack.Push(kept[i]);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _reaper.DisposeAsync();
        foreach (var stack in _idle.Values)
        {
            while (stack.TryPop(out var connection))
            {
                await connection.DisposeAsync();
            }
        }
    }
}

/// <summary>Which upstream a connection goes to: address and, for a peer sidecar, the identity it must prove.</summary>
internal readonly record struct UpstreamKey(string Host, int Port, string SpiffeId);
