using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.Extensions.Logging;
using Weft.Protocol.V1;
using Weft.Proxy.Authorization;
using Weft.Proxy.Configuration;
using Weft.Proxy.Forwarding;
using Weft.Proxy.Http1;
using Weft.Proxy.Telemetry;

namespace Weft.Proxy.Inbound;

/// <summary>
/// The server side on Weft's HTTP/1.1 engine, in stage order: peer authentication (the port's mTLS
/// mode) → authorization → forward to the app → telemetry. Ports whose workload validates JWTs
/// (RequestAuthentication) stay on <see cref="InboundHandler"/>.
/// </summary>
internal sealed class InboundHttp1(ProxyConfigStore store, Http1Forwarder forwarder, RequestRecorder recorder, ProxyCounters counters, ILogger<InboundHandler> logger) : IHttp1Side
{
    public bool Carries(Http1Exchange exchange)
    {
        if (Telemetry.Tracing.ProxySpans.Enabled || !exchange.IsPlain())
        {
            return false;
        }

        var snapshot = store.Current;
        if (snapshot is null || snapshot.Authenticator is not null
            || !snapshot.InboundByListenPort.TryGetValue(exchange.Connection.LocalEndPoint is System.Net.IPEndPoint local ? local.Port : 0, out var inbound)
            || inbound.App is null)
        {
            return false;
        }

        exchange.Snapshot = snapshot;
        exchange.Inbound = inbound;
        return true;
    }

    public async ValueTask HandleAsync(Http1Exchange exchange)
    {
        var snapshot = exchange.Snapshot!;
        var inbound = exchange.Inbound!;
        var splice = (InboundSplice)(exchange.InboundSplice ??= new InboundSplice(exchange.Connection.Features.Get<PeerIdentityFeature>() ?? PeerIdentityFeature.Plaintext));
        var peer = splice.Peer;
        var security = peer.IsMutualTls ? ConnectionSecurity.MutualTls : ConnectionSecurity.None;
        var source = peer.IsMutualTls ? splice.SourceOf(exchange.Request) : PeerLabels.Unknown;

        // Peer authentication.
        if (!peer.IsMutualTls && inbound.MtlsMode == MtlsMode.Strict)
        {
            var policy = string.IsNullOrEmpty(inbound.Port.MtlsPolicy) ? "" : $" (PeerAuthentication {inbound.Port.MtlsPolicy})";
            await Http1Answers.WriteAsync(exchange, 403, WeftReasons.MtlsRequired, $"port {inbound.WorkloadPort} accepts only mTLS{policy}");
            Record(exchange, source, inbound, WeftReasons.MtlsRequired, security);
            return;
        }

        // Authorization (skipped when no policy applies: Istio allows then).
        var authorization = snapshot.Authorization;
        if (authorization.AllowPolicies.Count + authorization.DenyPolicies.Count + authorization.AuditPolicies.Count > 0)
        {
            var request = new AuthorizationRequest
            {
                Principal = peer.Principal,
                SourceNamespace = peer.Namespace,
                Method = exchange.Request.Method,
                Path = exchange.Path,
                Host = exchange.Authority,
                Port = inbound.WorkloadPort,
                Headers = exchange.HeaderDictionary(),
                SourceIp = (exchange.Connection.RemoteEndPoint as System.Net.IPEndPoint)?.Address,
            };
            var decision = authorization.Evaluate(in request);
            if (decision.AuditPolicy is { } audit)
            {
                counters.RecordAudit(audit);
                InboundHandler.Log.Audited(logger, peer.SpiffeId ?? "(plaintext)", request.Method, request.Path, audit, decision.Allowed);
            }

            if (!decision.Allowed)
            {
                counters.RecordDenial(decision.Policy ?? "unknown");
                InboundHandler.Log.Denied(logger, peer.SpiffeId ?? "(plaintext)", request.Method, request.Path, decision.Policy);
                await Http1Answers.WriteAsync(exchange, 403, WeftReasons.AuthzDenied,
                    $"{peer.SpiffeId ?? "a plaintext client"} may not {request.Method} {request.Path}; decided by AuthorizationPolicy {decision.Policy}",
                    $"{WeftReasons.AuthzDenied}; policy={decision.Policy}");
                Record(exchange, source, inbound, WeftReasons.AuthzDenied, security);
                return;
            }
        }

        // Forward to the app.
        var result = await forwarder.ForwardAsync(exchange, splice.AppKey(inbound), endpoint: null, splice, holdBack: null, exchange.RequestAborted);
        switch (result.Outcome)
        {
            case ForwardOutcome.Relayed:
                Record(exchange, source, inbound, WeftReasons.None, security);
                return;
            case ForwardOutcome.ResetAfterResponseStarted:
                Record(exchange, source, inbound, WeftReasons.UpstreamReset, security);
                return;
            case ForwardOutcome.ClientGone:
                // The caller gave up (its timeout, or a retry elsewhere): not the app's failure. Istio records
                // response code 0 with the downstream-disconnect flag; so does Weft.
                exchange.KeepAlive = false;
                exchange.Status = 0;
                Record(exchange, source, inbound, WeftReasons.ClientClosed, security);
                return;
        }

        var refused = result.Outcome == ForwardOutcome.ConnectFailure;
        var reason = refused ? WeftReasons.UpstreamConnectFailure : WeftReasons.UpstreamReset;
        var detail = refused
            ? $"the application at {inbound.Port.AppAddress} did not accept the connection: {result.Detail}"
            : $"the application at {inbound.Port.AppAddress} dropped the request: {result.Detail}";
        await Http1Answers.WriteAsync(exchange, 503, reason, detail);
        Record(exchange, source, inbound, reason, security);
    }

    private void Record(Http1Exchange exchange, PeerLabels source, InboundRuntime inbound, string reason, ConnectionSecurity security) =>
        recorder.Record(exchange.Facts(), Reporter.Destination, source, inbound.Destination, exchange.Status, reason, security, exchange.Started, inbound.Port.AppAddress);

    /// <summary>
    /// The server side's header edits: the mesh's peer metadata never reaches the app, and the caller's
    /// verified identity goes in x-forwarded-client-cert (as Istio does). One per connection, with its peer.
    /// </summary>
    internal sealed class InboundSplice(PeerIdentityFeature peer) : HeaderSplice
    {
        private readonly byte[]? _clientCert = peer.ForwardedClientCert is { } value ? Encoding.Latin1.GetBytes(value) : null;
        private byte[] _peerBytes = [];
        private PeerLabels _source = PeerLabels.Unknown;
        private InboundRuntime? _appOf;
        private UpstreamKey _appKey;

        public PeerIdentityFeature Peer { get; } = peer;

        /// <summary>The caller's labels from x-weft-peer (believed only over mTLS); a connection repeats it, so it is parsed once.</summary>
        public PeerLabels SourceOf(RequestHead request)
        {
            var index = request.IndexOf("x-weft-peer"u8);
            if (index < 0 || request.IndexOf("x-weft-peer"u8, index + 1) >= 0)
            {
                return PeerLabels.Unknown;
            }

            var value = request.Value(index);
            if (!value.SequenceEqual(_peerBytes))
            {
                _peerBytes = value.ToArray();
                _source = PeerHeader.Parse(Encoding.Latin1.GetString(value));
            }

            return _source;
        }

        public UpstreamKey AppKey(InboundRuntime inbound)
        {
            if (!ReferenceEquals(inbound, _appOf))
            {
                _appOf = inbound;
                _appKey = new UpstreamKey(inbound.App!.Address.ToString(), inbound.App.Port, "");
            }

            return _appKey;
        }

        public override bool Drops(ReadOnlySpan<byte> name) =>
            Ascii.EqualsIgnoreCase(name, "x-weft-peer"u8) || Ascii.EqualsIgnoreCase(name, "x-forwarded-client-cert"u8);

        public override void WriteAdded(PipeWriter to, Http1Exchange exchange)
        {
            if (_clientCert is not null)
            {
                WriteHeader(to, "x-forwarded-client-cert"u8, _clientCert);
            }
        }
    }
}
