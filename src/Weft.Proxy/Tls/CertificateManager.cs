using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Weft.Protocol.Identity;
using Weft.Protocol.V1;

namespace Weft.Proxy.Tls;

/// <summary>
/// Gets the proxy its workload certificate and keeps it fresh: a new ECDSA key and CSR, signed by
/// the control plane, renewed at half of its lifetime. The current certificate stays in use until
/// the new one is in hand, so a failed renewal never breaks traffic.
/// </summary>
public sealed partial class CertificateManager
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);
    private readonly Func<SignRequest, CancellationToken, Task<SignResponse>> _sign;
    private readonly Node _node;
    private readonly SpiffeId _identity;
    private readonly CredentialStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private int _renewRequested;
    private volatile CancellationTokenSource? _wake;

    public CertificateManager(Protocol.V1.CertificateAuthority.CertificateAuthorityClient client, Node node, SpiffeId identity, CredentialStore store, TimeProvider time, ILogger<CertificateManager> logger)
        : this((request, cancellation) => client.SignAsync(request, cancellationToken: cancellation).ResponseAsync, node, identity, store, time, logger)
    {
    }

    public CertificateManager(Func<SignRequest, CancellationToken, Task<SignResponse>> sign, Node node, SpiffeId identity, CredentialStore store, TimeProvider time, ILogger logger)
    {
        _sign = sign;
        _node = node;
        _identity = identity;
        _store = store;
        _time = time;
        _logger = logger;
    }

    public async Task InitializeAsync(CancellationToken cancellation)
    {
        if (_store.Current is null)
        {
            await RenewWithRetryAsync(cancellation);
        }
    }

    public async Task RunRenewalAsync(CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            // Half of the life left when it arrived (certificates are back-dated for clock skew, so
            // NotBefore would make short-lived ones look half-spent already).
            var current = _store.Current ?? await _store.WaitForFirstAsync(cancellation);
            var wait = (current.NotAfter - _time.GetUtcNow().UtcDateTime) / 2;
            if (wait > TimeSpan.Zero && Interlocked.Exchange(ref _renewRequested, 0) == 0)
            {
                using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                _wake = wake;
                try
                {
                    if (Volatile.Read(ref _renewRequested) == 0)
                    {
                        await Task.Delay(wait, _time, wake.Token);
                    }
                }
                catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
                {
                    // RenewNow: the control plane wants a certificate from a new root.
                }
                finally
                {
                    _wake = null;
                }

                Interlocked.Exchange(ref _renewRequested, 0);
            }

            await RenewWithRetryAsync(cancellation);
        }
    }

    /// <summary>Asks for a new certificate at once instead of at half-life (a root rotation).</summary>
    public void RenewNow()
    {
        Volatile.Write(ref _renewRequested, 1);
        try
        {
            _wake?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The wait ended meanwhile; the flag makes the next one skip.
        }
    }

    private async Task RenewWithRetryAsync(CancellationToken cancellation)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                var credentials = await RequestAsync(cancellation);
                _store.Update(credentials);
                Log.Issued(_logger, credentials.SpiffeId, credentials.NotAfter);
                return;
            }
            catch (Exception e) when (e is RpcException or IOException or HttpRequestException or CryptographicException or ArgumentException)
            {
                Log.Failed(_logger, e.Message, backoff.TotalMilliseconds);
            }

            await Task.Delay(backoff, _time, cancellation);
            backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
        }
    }

    private async Task<MeshCredentials> RequestAsync(CancellationToken cancellation)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var response = await _sign(new SignRequest { Node = _node, CsrPem = WorkloadCsr.CreatePem(key, _identity) }, cancellation);
        if (response.CertificateChainPem.Count == 0)
        {
            throw new ArgumentException("the control plane returned no certificate");
        }

        using var leaf = X509Certificate2.CreateFromPem(response.CertificateChainPem[0]);
        var leafWithKey = leaf.CopyWithPrivateKey(key);
        var bundle = response.TrustBundlePem.Select(pem => X509Certificate2.CreateFromPem(pem)).ToList();
        return MeshCredentials.Create(leafWithKey, bundle);
    }

    private static partial class Log
    {
        [LoggerMessage(60, LogLevel.Information, "Workload certificate {Identity} issued, valid until {NotAfter:u}")]
        public static partial void Issued(ILogger logger, string identity, DateTime notAfter);

        [LoggerMessage(61, LogLevel.Warning, "Certificate request failed ({Reason}); retrying in {DelayMs} ms")]
        public static partial void Failed(ILogger logger, string reason, double delayMs);
    }
}
