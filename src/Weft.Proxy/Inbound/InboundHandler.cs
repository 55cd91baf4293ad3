using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Weft.Protocol.V1;
using Weft.Proxy.Authorization;
using Weft.Proxy.Configuration;
using Weft.Proxy.Forwarding;
using Weft.Proxy.Telemetry;
using Yarp.ReverseProxy.Forwarder;

namespace Weft.Proxy.Inbound;

/// <summary>
/// The server side of the mesh: enforces the PeerAuthentication mode and the AuthorizationPolicies
/// of this workload, then hands the request to the local application.
/// </summary>
internal sealed partial class InboundHandler(
    ProxyConfigStore store,
    IHttpForwarder forwarder,
    UpstreamClients clients,
    RequestRecorder recorder,
    ProxyCounters counters,
    ILogger<InboundHandler> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        recorder.Begin(context, Reporter.Destination);
        var snapshot = store.Current;
        if (snapshot is null || !snapshot.InboundByListenPort.TryGetValue(context.Connection.LocalPort, out var inbound))
        {
            await ProxyResponses.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, WeftReasons.NotReady, "the sidecar has no config for this port yet");
            return;
        }

        var peer = context.Features.Get<PeerIdentityFeature>() ?? PeerIdentityFeature.Plaintext;
        var security = peer.IsMutualTls ? ConnectionSecurity.MutualTls : ConnectionSecurity.None;
        var source = peer.IsMutualTls && context.Request.Headers[PeerHeader.Name] is { Count: 1 } header
            ? PeerHeader.Parse(header[0]!)
            : PeerLabels.Unknown;

        if (!peer.IsMutualTls && inbound.MtlsMode == MtlsMode.Strict)
        {
            var policy = string.IsNullOrEmpty(inbound.Port.MtlsPolicy) ? "" : $" (PeerAuthentication {inbound.Port.MtlsPolicy})";
            await ProxyResponses.WriteAsync(context, StatusCodes.Status403Forbidden, WeftReasons.MtlsRequired, $"port {inbound.WorkloadPort} accepts only mTLS{policy}");
            Record(context, source, inbound, 403, WeftReasons.MtlsRequired, started, security);
            return;
        }

        Authentication.RequestIdentity? requestIdentity = null;
        if (snapshot.Authenticator is { } authenticator)
        {
            var outcome = await authenticator.AuthenticateAsync(context.Request);
            if (outcome.IsInvalid)
            {
                counters.RecordDenial(outcome.Policy!);
                Log.TokenRejected(logger, peer.SpiffeId ?? "(plaintext)", context.Request.Method, context.Request.Path.Value, outcome.Policy, outcome.Error);
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await ProxyResponses.WriteAsync(context, StatusCodes.Status401Unauthorized, WeftReasons.JwtInvalid,
                    $"{outcome.Error}; decided by RequestAuthentication {outcome.Policy}",
                    $"{WeftReasons.JwtInvalid}; policy={outcome.Policy}");
                Record(context, source, inbound, 401, WeftReasons.JwtInvalid, started, security);
                return;
            }

            requestIdentity = outcome.Identity;
        }

        var request = new AuthorizationRequest
        {
            RequestIdentity = requestIdentity,
            Principal = peer.Principal,
            SourceNamespace = peer.Namespace,
            Method = context.Request.Method,
            Path = context.Request.Path.Value ?? "/",
            Host = context.Request.Host.Value ?? "",
            Port = inbound.WorkloadPort,
            Headers = context.Request.Headers,
            SourceIp = context.Connection.RemoteIpAddress,
        };
        var decision = snapshot.Authorization.Evaluate(in request);
        if (decision.AuditPolicy is { } audit)
        {
            counters.RecordAudit(audit);
            Log.Audited(logger, peer.SpiffeId ?? "(plaintext)", context.Request.Method, context.Request.Path.Value, audit, decision.Allowed);
        }

        if (!decision.Allowed)
        {
            counters.RecordDenial(decision.Policy ?? "unknown");
            Log.Denied(logger, peer.SpiffeId ?? "(plaintext)", context.Request.Method, context.Request.Path.Value, decision.Policy);
            await ProxyResponses.WriteAsync(context, StatusCodes.Status403Forbidden, WeftReasons.AuthzDenied,
                $"{peer.SpiffeId ?? "a plaintext client"} may not {context.Request.Method} {context.Request.Path}; decided by AuthorizationPolicy {decision.Policy}",
                $"{WeftReasons.AuthzDenied}; policy={decision.Policy}");
            Record(context, source, inbound, 403, WeftReasons.AuthzDenied, started, security);
            return;
        }

        var error = await forwarder.SendAsync(context, inbound.AppPrefix, clients.Local, ForwarderDefaults.ForApplication(context.Request, inbound.AppSpeaksHttp2), InboundTransformer.Instance);
        if (error != ForwarderError.None && context.RequestAborted.IsCancellationRequested)
        {
            // The caller gave up (its timeout, or a retry elsewhere): not the app's failure. Istio records
            // response code 0 with the downstream-disconnect flag; so does Weft.
            Record(context, source, inbound, 0, WeftReasons.ClientClosed, started, security);
            return;
        }

        if (error != ForwarderError.None)
        {
            var failure = context.Features.Get<IForwarderErrorFeature>()?.Exception;
            var refused = failure is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError };
            var reason = refused ? WeftReasons.UpstreamConnectFailure : WeftReasons.UpstreamReset;
            var detail = refused
                ? $"the application at {inbound.Port.AppAddress} did not accept the connection: {failure?.Message}"
                : $"the application at {inbound.Port.AppAddress} dropped the request: {failure?.Message ?? error.ToString()}";
            await ProxyResponses.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, reason, detail);
            Record(context, source, inbound, 503, reason, started, security);
            return;
        }

        Record(context, source, inbound, context.Response.StatusCode, WeftReasons.None, started, security);
    }

    private void Record(HttpContext context, PeerLabels source, InboundRuntime inbound, int status, string reason, long started, ConnectionSecurity security) =>
        recorder.Record(context, Reporter.Destination, source, inbound.Destination, status, reason, security, started, inbound.Port.AppAddress);

    internal static partial class Log
    {
        [LoggerMessage(50, LogLevel.Information, "Denied {Peer} {Method} {Path}: AuthorizationPolicy {Policy}")]
        public static partial void Denied(ILogger logger, string peer, string method, string? path, string? policy);

        [LoggerMessage(52, LogLevel.Information, "Refused the JWT of {Peer} {Method} {Path}: RequestAuthentication {Policy}: {Reason}")]
        public static partial void TokenRejected(ILogger logger, string peer, string method, string? path, string? policy, string? reason);

        [LoggerMessage(51, LogLevel.Information, "Audit {Peer} {Method} {Path}: matched AuthorizationPolicy {Policy}; allowed: {Allowed}")]
        public static partial void Audited(ILogger logger, string peer, string method, string? path, string policy, bool allowed);
    }
}
