using System.Globalization;
using Weft.Protocol.V1;

namespace Weft.Proxy.Resilience;

/// <summary>
/// A route's retry policy, precompiled from <see cref="RetryPolicy"/> with Envoy's retry_on semantics:
/// <list type="bullet">
/// <item><c>5xx</c>: any 5xx response, and every failure without a response (connect failure, reset,
/// per-try timeout, refused stream).</item>
/// <item><c>gateway-error</c>: 502/503/504, and (as in Envoy, which counts a reset as a 5xx) every failure
/// without a response.</item>
/// <item><c>reset</c>: no response at all (reset, connect failure, refused stream, per-try timeout).</item>
/// <item><c>connect-failure</c>, <c>refused-stream</c>: just those failures.</item>
/// <item><c>retriable-4xx</c>: 409.</item>
/// <item><c>retriable-status-codes</c> and bare numbers such as <c>503</c>: the listed codes (Istio always
/// turns bare numbers into retriable status codes).</item>
/// <item>gRPC <c>cancelled</c>, <c>deadline-exceeded</c>, <c>resource-exhausted</c>, <c>internal</c>,
/// <c>unavailable</c>: the grpc-status, see <see cref="ShouldRetryGrpc"/>.</item>
/// </list>
/// Unknown conditions are ignored (the mesh compiler reports them). With <see cref="Attempts"/> = 0
/// nothing is retried. A route without a retry policy gets <see cref="None"/>; Istio's default policy
/// is the control plane's to fill in.
/// </summary>
internal sealed class CompiledRetryPolicy
{
    private const int MaxStatusCode = 599;

    private readonly bool[] _retriableStatusCodes; // indexed by status code, length MaxStatusCode + 1

    public static CompiledRetryPolicy None { get; } = new(0, TimeSpan.Zero, RetryConditions.None, new bool[MaxStatusCode + 1]);

    private CompiledRetryPolicy(int attempts, TimeSpan perTryTimeout, RetryConditions conditions, bool[] retriableStatusCodes)
    {
        Attempts = attempts;
        PerTryTimeout = perTryTimeout;
        Conditions = conditions;
        _retriableStatusCodes = retriableStatusCodes;
    }

    /// <summary>Retries after the first attempt; 0 disables retries.</summary>
    public int Attempts { get; }

    /// <summary>Zero: each try is bounded only by the route timeout.</summary>
    public TimeSpan PerTryTimeout { get; }

    public RetryConditions Conditions { get; }

    public static CompiledRetryPolicy Build(RetryPolicy? policy)
    {
        if (policy is null)
        {
            return None;
        }

        var conditions = RetryConditions.None;
        var codes = new bool[MaxStatusCode + 1];
        foreach (var entry in policy.RetryOn)
        {
            var condition = entry.Trim();
            switch (condition)
            {
                case "5xx": conditions |= RetryConditions.ServerError; break;
                case "gateway-error": conditions |= RetryConditions.GatewayError; break;
                case "reset": conditions |= RetryConditions.Reset; break;
                case "connect-failure": conditions |= RetryConditions.ConnectFailure; break;
                case "refused-stream": conditions |= RetryConditions.RefusedStream; break;
                case "retriable-4xx": conditions |= RetryConditions.Retriable4xx; break;
                case "retriable-status-codes": conditions |= RetryConditions.RetriableStatusCodes; break;
                case "cancelled": conditions |= RetryConditions.GrpcCancelled; break;
                case "deadline-exceeded": conditions |= RetryConditions.GrpcDeadlineExceeded; break;
                case "resource-exhausted": conditions |= RetryConditions.GrpcResourceExhausted; break;
                case "internal": conditions |= RetryConditions.GrpcInternal; break;
                case "unavailable": conditions |= RetryConditions.GrpcUnavailable; break;
                default:
                    if (int.TryParse(condition, NumberStyles.None, CultureInfo.InvariantCulture, out var code)
                        && code is >= 100 and <= MaxStatusCode)
                    {
                        codes[code] = true;
                        conditions |= RetryConditions.RetriableStatusCodes;
                    }

                    break;
            }
        }

        var perTryTimeout = policy.PerTryTimeout?.ToTimeSpan() ?? TimeSpan.Zero;
        return new CompiledRetryPolicy((int)Math.Min(policy.Attempts, int.MaxValue), perTryTimeout, conditions, codes);
    }

    /// <summary>Whether an attempt that got a response with <paramref name="statusCode"/> should be retried.</summary>
    public bool ShouldRetry(int statusCode)
    {
        if (Attempts == 0 || (uint)statusCode > MaxStatusCode)
        {
            return false;
        }

        var conditions = Conditions;
        if (statusCode >= 500 && (conditions & RetryConditions.ServerError) != 0)
        {
            return true;
        }

        if (statusCode is 502 or 503 or 504 && (conditions & RetryConditions.GatewayError) != 0)
        {
            return true;
        }

        if (statusCode == 409 && (conditions & RetryConditions.Retriable4xx) != 0)
        {
            return true;
        }

        return _retriableStatusCodes[statusCode];
    }

    /// <summary>Whether an attempt that failed without a response should be retried.</summary>
    public bool ShouldRetry(UpstreamFailure failure)
    {
        if (Attempts == 0)
        {
            return false;
        }

        var conditions = Conditions;
        if ((conditions & (RetryConditions.ServerError | RetryConditions.GatewayError | RetryConditions.Reset)) != 0)
        {
            return true;
        }

        return failure switch
        {
            UpstreamFailure.ConnectFailure => (conditions & RetryConditions.ConnectFailure) != 0,
            UpstreamFailure.RefusedStream => (conditions & RetryConditions.RefusedStream) != 0,
            _ => false,
        };
    }

    /// <summary>Whether a gRPC response with grpc-status <paramref name="grpcStatus"/> (header or trailer) should be retried.</summary>
    public bool ShouldRetryGrpc(int grpcStatus)
    {
        if (Attempts == 0)
        {
            return false;
        }

        var required = grpcStatus switch
        {
            1 => RetryConditions.GrpcCancelled,
            4 => RetryConditions.GrpcDeadlineExceeded,
            8 => RetryConditions.GrpcResourceExhausted,
            13 => RetryConditions.GrpcInternal,
            14 => RetryConditions.GrpcUnavailable,
            _ => RetryConditions.None,
        };
        return required != RetryConditions.None && (Conditions & required) != 0;
    }
}
