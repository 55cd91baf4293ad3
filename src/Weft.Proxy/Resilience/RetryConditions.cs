namespace Weft.Proxy.Resilience;

/// <summary>The Envoy retry_on conditions Weft understands, as flags.</summary>
[Flags]
internal enum RetryConditions
{
    None = 0,
    ServerError = 1 << 0,          // 5xx
    GatewayError = 1 << 1,         // gateway-error
    Reset = 1 << 2,                // reset
    ConnectFailure = 1 << 3,       // connect-failure
    RefusedStream = 1 << 4,        // refused-stream
    Retriable4xx = 1 << 5,         // retriable-4xx
    RetriableStatusCodes = 1 << 6, // retriable-status-codes (or bare numeric codes)
    GrpcCancelled = 1 << 7,        // cancelled (gRPC 1)
    GrpcDeadlineExceeded = 1 << 8, // deadline-exceeded (gRPC 4)
    GrpcResourceExhausted = 1 << 9, // resource-exhausted (gRPC 8)
    GrpcInternal = 1 << 10,        // internal (gRPC 13)
    GrpcUnavailable = 1 << 11,     // unavailable (gRPC 14)
}
