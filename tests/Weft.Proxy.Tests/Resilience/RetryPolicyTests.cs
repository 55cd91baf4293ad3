using Weft.Protocol.V1;
using Weft.Proxy.Resilience;
using static Weft.Proxy.Tests.TestSupport.Configs;

namespace Weft.Proxy.Tests.Resilience;

public sealed class RetryPolicyTests
{
    private static CompiledRetryPolicy Build(string retryOn, uint attempts = 2)
    {
        var policy = new RetryPolicy { Attempts = attempts, PerTryTimeout = Seconds(0.5) };
        policy.RetryOn.Add(retryOn.Split(',', StringSplitOptions.RemoveEmptyEntries));
        return CompiledRetryPolicy.Build(policy);
    }

    [Theory]
    [InlineData("5xx", 500, true)]
    [InlineData("5xx", 503, true)]
    [InlineData("5xx", 599, true)]
    [InlineData("5xx", 404, false)]
    [InlineData("5xx", 200, false)]
    [InlineData("gateway-error", 502, true)]
    [InlineData("gateway-error", 503, true)]
    [InlineData("gateway-error", 504, true)]
    [InlineData("gateway-error", 500, false)]
    [InlineData("retriable-4xx", 409, true)]
    [InlineData("retriable-4xx", 404, false)]
    [InlineData("retriable-4xx", 500, false)]
    [InlineData("503", 503, true)]
    [InlineData("503", 502, false)]
    [InlineData("retriable-status-codes,418,429", 429, true)]
    [InlineData("retriable-status-codes,418,429", 418, true)]
    [InlineData("retriable-status-codes,418,429", 500, false)]
    [InlineData("retriable-status-codes", 503, false)]
    [InlineData("connect-failure,refused-stream,reset", 503, false)]
    [InlineData("connect-failure, 503 ", 503, true)]
    [InlineData("unavailable,cancelled", 503, false)]
    [InlineData("bogus,envoy-ratelimited", 503, false)]
    [InlineData("", 503, false)]
    public void ShouldRetryStatus(string retryOn, int status, bool expected)
    {
        Assert.Equal(expected, Build(retryOn).ShouldRetry(status));
    }

    [Theory]
    [InlineData("5xx", "ConnectFailure", true)]
    [InlineData("5xx", "Reset", true)]
    [InlineData("5xx", "Timeout", true)]
    [InlineData("5xx", "RefusedStream", true)]
    [InlineData("gateway-error", "ConnectFailure", true)]
    [InlineData("gateway-error", "Reset", true)]
    [InlineData("gateway-error", "Timeout", true)]
    [InlineData("reset", "Reset", true)]
    [InlineData("reset", "ConnectFailure", true)]
    [InlineData("reset", "Timeout", true)]
    [InlineData("reset", "RefusedStream", true)]
    [InlineData("connect-failure", "ConnectFailure", true)]
    [InlineData("connect-failure", "Reset", false)]
    [InlineData("connect-failure", "Timeout", false)]
    [InlineData("refused-stream", "RefusedStream", true)]
    [InlineData("refused-stream", "Reset", false)]
    [InlineData("retriable-4xx", "Reset", false)]
    [InlineData("503", "ConnectFailure", false)]
    [InlineData("unavailable", "Reset", false)]
    public void ShouldRetryFailure(string retryOn, string failure, bool expected)
    {
        Assert.Equal(expected, Build(retryOn).ShouldRetry(Enum.Parse<UpstreamFailure>(failure)));
    }

    [Theory]
    [InlineData("cancelled", 1, true)]
    [InlineData("deadline-exceeded", 4, true)]
    [InlineData("resource-exhausted", 8, true)]
    [InlineData("internal", 13, true)]
    [InlineData("unavailable", 14, true)]
    [InlineData("unavailable", 13, false)]
    [InlineData("unavailable", 0, false)]
    [InlineData("cancelled,unavailable", 14, true)]
    [InlineData("5xx", 14, false)]
    public void ShouldRetryGrpc(string retryOn, int grpcStatus, bool expected)
    {
        Assert.Equal(expected, Build(retryOn).ShouldRetryGrpc(grpcStatus));
    }

    [Fact]
    public void ZeroAttemptsNeverRetries()
    {
        var policy = Build("5xx,reset,unavailable", attempts: 0);

        Assert.False(policy.ShouldRetry(503));
        Assert.False(policy.ShouldRetry(UpstreamFailure.Reset));
        Assert.False(policy.ShouldRetryGrpc(14));
    }

    [Fact]
    public void ExposesAttemptsAndPerTryTimeout()
    {
        var policy = Build("5xx", attempts: 3);

        Assert.Equal(3, policy.Attempts);
        Assert.Equal(TimeSpan.FromMilliseconds(500), policy.PerTryTimeout);
    }

    [Fact]
    public void MissingPolicyNeverRetries()
    {
        var policy = CompiledRetryPolicy.Build(null);

        Assert.Same(CompiledRetryPolicy.None, policy);
        Assert.Equal(0, policy.Attempts);
        Assert.False(policy.ShouldRetry(503));
    }
}
