using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Text;
using Weft.Proxy.Configuration;
using Weft.Proxy.Forwarding;
using Weft.Proxy.Http1;
using Weft.Proxy.LoadBalancing;
using Weft.Proxy.Resilience;
using Weft.Proxy.Routing;
using Weft.Proxy.Telemetry;

namespace Weft.Proxy.Outbound;

/// <summary>
/// The client side on Weft's HTTP/1.1 engine, in stage order: route selection (in
/// <see cref="Carries"/>, on the parsed head) → admission → the retry loop (endpoint selection and
/// forwarding per attempt) → telemetry. Routes the engine does not carry yet
/// (<see cref="CompiledRoute.CarriedByHttp1Engine"/>), and on routes that retry bodies it cannot buffer
/// for replay (chunked, over <see cref="MaxReplayableBody"/>, or waiting for 100-continue), stay on
/// <see cref="OutboundHandler"/>.
/// </summary>
internal sealed class OutboundHttp1(ProxyConfigStore store, Http1Forwarder forwarder, RequestRecorder recorder, ProxyCounters counters, IRandomSource random) : IHttp1Side
{
    /// <summary>Bodies up to this size are buffered so the request can be retried (as <see cref="OutboundHandler"/> does).</summary>
    public const int MaxReplayableBody = 64 * 1024;

    private static readonly Microsoft.AspNetCore.Http.HeaderDictionary NoHeaders = new();

    public bool Carries(Http1Exchange exchange)
    {
        if (Telemetry.Tracing.ProxySpans.Enabled || !exchange.IsPlain())
        {
            return false;
        }

        var snapshot = store.Current;
        exchange.Snapshot = snapshot;
        if (snapshot is null)
        {
            return true;
        }

        if (!snapshot.Routes.TryFindVirtualHost(exchange.Authority, out var host)
            && !(exchange.Connection.Features.Get<Interception.OriginalDestinationFeature>() is { } captured && snapshot.Routes.TryFindVirtualHost(captured.Destination, out host)))
        {
            return true; // answered no-route here
        }

        exchange.VirtualHost = host;
        if (host.MatchesQueryParameters)
        {
            return false;
        }

        var route = host.Match(exchange.Request.Method, exchange.Path, host.MatchesHeaders ? exchange.HeaderDictionary() : NoHeaders);
        exchange.Route = route;
        // A body a retry may have to send again is buffered first: only one that is small and of known length.
        var request = exchange.Request;
        return route is null || (route.CarriedByHttp1Engine
            && (!request.HasBody || route.Retries.Attempts == 0 || (!request.IsChunked && !request.ExpectsContinue && request.ContentLength <= MaxReplayableBody)));
    }

    public async ValueTask HandleAsync(Http1Exchange exchange)
    {
        var snapshot = exchange.Snapshot;
        if (snapshot is null)
        {
            await Http1Answers.WriteAsync(exchange, 503, WeftReasons.NotReady, "the sidecar has no config from the control plane yet");
            return;
        }

        if (exchange.VirtualHost is not { } host)
        {
            await Http1Answers.WriteAsync(exchange, 404, WeftReasons.NoRoute, $"no service in the mesh is called '{exchange.Authority}'");
            Record(exchange, snapshot, PeerLabels.Unknown, WeftReasons.NoRoute, ConnectionSecurity.None);
            return;
        }

        if (exchange.Route is not { } route)
        {
            await Http1Answers.WriteAsync(exchange, 404, WeftReasons.NoRoute, $"no route of {host.Name} matches {exchange.Request.Method} {exchange.Path}");
            Record(exchange, snapshot, PeerLabels.Unknown, WeftReasons.NoRoute, ConnectionSecurity.None);
            return;
        }

        if (exchange.Request.HasBody && route.Retries.Attempts > 0 && !await exchange.BufferBodyAsync())
        {
            exchange.KeepAlive = false;
            return; // the client closed before its body was complete
        }

        var cluster = route.PickDestination(random);
        if (cluster.Admission is { } admission)
        {
            if (!admission.TryEnter(http2: false))
            {
                await Http1Answers.WriteAsync(exchange, 503, WeftReasons.Overflow, $"{cluster.Name} is at its connectionPool limit");
                Record(exchange, snapshot, PeerLabels.Unknown, WeftReasons.Overflow, ConnectionSecurity.None);
                return;
            }

            try
            {
                await RetryLoopAsync(exchange, snapshot, route, cluster);
            }
            finally
            {
                admission.Exit();
            }

            return;
        }

        await RetryLoopAsync(exchange, snapshot, route, cluster);
    }

    private async ValueTask RetryLoopAsync(Http1Exchange exchange, ProxySnapshot snapshot, CompiledRoute route, CompiledCluster cluster)
    {
        var retries = route.Retries;
        var maxAttempts = 1 + retries.Attempts;
        var splice = (OutboundSplice)(exchange.OutboundSplice ??= new OutboundSplice());
        splice.PeerHeaderValue = snapshot.PeerHeaderValue;
        EndpointState? previous = null;
        for (var attempt = 1; ; attempt++)
        {
            var endpoint = cluster.PickEndpoint(random);
            if (endpoint is null)
            {
                await Http1Answers.WriteAsync(exchange, 503, WeftReasons.NoHealthyUpstream,
                    cluster.Endpoints.Length == 0 ? $"{cluster.Name} has no endpoints" : $"every endpoint of {cluster.Name} is ejected by outlier detection");
                Record(exchange, snapshot, PeerLabels.Unknown, WeftReasons.NoHealthyUpstream, ConnectionSecurity.None);
                return;
            }

            // Prefer another endpoint for a retry when there is one (Envoy's previous_hosts predicate).
            if (endpoint == previous && cluster.AvailableEndpoints.Length > 1)
            {
                endpoint = cluster.PickEndpoint(random) ?? endpoint;
            }

            previous = endpoint;
            if (attempt > 1)
            {
                counters.RecordRetry(cluster.Name);
            }

            splice.Attempt = attempt;
            var mayRetry = attempt < maxAttempts;
            endpoint.IncrementOutstanding();
            var attemptStarted = Stopwatch.GetTimestamp();
            var result = await forwarder.ForwardAsync(exchange, new UpstreamKey(endpoint.Host, endpoint.Port, endpoint.SpiffeId), endpoint, splice,
                mayRetry ? retries : null, exchange.RequestAborted);
            endpoint.DecrementOutstanding();
            endpoint.RecordLatency(Stopwatch.GetElapsedTime(attemptStarted));
            var security = string.IsNullOrEmpty(endpoint.SpiffeId) ? ConnectionSecurity.None : ConnectionSecurity.MutualTls;
            cluster.Outlier?.Report(endpoint, result.Outcome is ForwardOutcome.Relayed or ForwardOutcome.HeldBack ? result.Status : null);
            switch (result.Outcome)
            {
                case ForwardOutcome.Relayed:
                    Record(exchange, snapshot, endpoint.Labels, WeftReasons.None, security, endpoint.Address, attempt);
                    return;
                case ForwardOutcome.ResetAfterResponseStarted:
                    Record(exchange, snapshot, endpoint.Labels, WeftReasons.UpstreamReset, security, endpoint.Address, attempt);
                    return;
                case ForwardOutcome.ClientGone:
                    exchange.KeepAlive = false;
                    return;
                case ForwardOutcome.HeldBack:
                    continue;
            }

            var failure = result.Outcome == ForwardOutcome.ConnectFailure ? UpstreamFailure.ConnectFailure : UpstreamFailure.Reset;
            if (mayRetry && retries.ShouldRetry(failure))
            {
                continue;
            }

            var reason = failure == UpstreamFailure.ConnectFailure ? WeftReasons.UpstreamConnectFailure : WeftReasons.UpstreamReset;
            await Http1Answers.WriteAsync(exchange, 503, reason, $"{endpoint.Address} ({endpoint.Workload}) failed after {attempt} attempt(s): {result.Detail}");
            Record(exchange, snapshot, endpoint.Labels, reason, security, endpoint.Address, attempt);
            return;
        }
    }

    private void Record(Http1Exchange exchange, ProxySnapshot snapshot, PeerLabels destination, string reason, ConnectionSecurity security,
        string? upstream = null, int attempts = 0) =>
        recorder.Record(exchange.Facts(), Reporter.Source, snapshot.Self, destination, exchange.Status, reason, security, exchange.Started, upstream, attempts);

    /// <summary>The client side's header edits: who is calling (x-weft-peer) and which attempt this is (x-weft-attempt).</summary>
    internal sealed class OutboundSplice : HeaderSplice
    {
        private string _peerHeaderValue = "";
        private byte[] _peerHeaderBytes = [];

        public string PeerHeaderValue
        {
            set
            {
                if (!ReferenceEquals(value, _peerHeaderValue))
                {
                    _peerHeaderValue = value;
                    _peerHeaderBytes = Encoding.Latin1.GetBytes(value);
                }
            }
        }

        public int Attempt { get; set; } = 1;

        public override bool Drops(ReadOnlySpan<byte> name) =>
            Ascii.EqualsIgnoreCase(name, "x-weft-peer"u8) || Ascii.EqualsIgnoreCase(name, "x-weft-attempt"u8);

        public override void WriteAdded(PipeWriter to, Http1Exchange exchange)
        {
            WriteHeader(to, "x-weft-peer"u8, _peerHeaderBytes);
            to.Write("x-weft-attempt: "u8);
            var span = to.GetSpan(11);
            System.Buffers.Text.Utf8Formatter.TryFormat(Attempt, span, out var written);
            to.Advance(written);
            to.Write("\r\n"u8);
        }
    }
}
