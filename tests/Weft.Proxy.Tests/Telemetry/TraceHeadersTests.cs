using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Weft.Proxy.Telemetry.Tracing;

namespace Weft.Proxy.Tests.Telemetry;

public sealed class TraceHeadersTests
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string SpanId = "00f067aa0ba902b7";

    [Theory]
    [InlineData("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", TraceId, true)]
    [InlineData("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", TraceId, false)]
    [InlineData("b3", "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1-1111111111111111", TraceId, true)]
    [InlineData("b3", "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0", TraceId, false)]
    [InlineData("b3", "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", TraceId, true)]
    [InlineData("b3", "a3ce929d0e0e4736-00f067aa0ba902b7-d", "0000000000000000a3ce929d0e0e4736", true)]
    public void A_single_header_context_is_read(string header, string value, string traceId, bool sampled)
    {
        var headers = new HeaderDictionary { [header] = value };

        Assert.True(TraceHeaders.TryExtract(headers, out var context));

        Assert.Equal(traceId, context.TraceId.ToHexString());
        Assert.Equal(SpanId, context.SpanId.ToHexString());
        Assert.Equal(sampled, context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded));
        Assert.True(context.IsRemote);
    }

    [Theory]
    [InlineData("1", null, true)]
    [InlineData("0", null, false)]
    [InlineData(null, null, true)]
    [InlineData("0", "1", true)] // debug wins
    public void Multi_header_b3_is_read_with_its_sampling_decision(string? sampled, string? flags, bool expected)
    {
        var headers = new HeaderDictionary { ["x-b3-traceid"] = TraceId, ["x-b3-spanid"] = SpanId };
        if (sampled is not null)
        {
            headers["x-b3-sampled"] = sampled;
        }

        if (flags is not null)
        {
            headers["x-b3-flags"] = flags;
        }

        Assert.True(TraceHeaders.TryExtract(headers, out var context));
        Assert.Equal(TraceId, context.TraceId.ToHexString());
        Assert.Equal(expected, context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded));
    }

    [Fact]
    public void Traceparent_wins_over_b3_and_keeps_its_tracestate()
    {
        var headers = new HeaderDictionary
        {
            ["traceparent"] = $"00-{TraceId}-{SpanId}-01",
            ["tracestate"] = "vendor=x",
            ["b3"] = "11111111111111111111111111111111-2222222222222222-1",
        };

        Assert.True(TraceHeaders.TryExtract(headers, out var context));

        Assert.Equal(TraceId, context.TraceId.ToHexString());
        Assert.Equal("vendor=x", context.TraceState);
    }

    [Theory]
    [InlineData("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01")]
    [InlineData("traceparent", "garbage")]
    [InlineData("b3", "4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-1")] // B3 ids are lower-case hex
    [InlineData("b3", "4bf92f3577b34da6-short-1")]
    [InlineData("b3", "1")]
    [InlineData("x-b3-traceid", TraceId)] // no span id
    public void Invalid_or_incomplete_context_starts_a_new_trace(string header, string value)
    {
        Assert.False(TraceHeaders.TryExtract(new HeaderDictionary { [header] = value }, out _));
    }

    [Fact]
    public void A_b3_decision_not_to_sample_without_ids_is_kept()
    {
        Assert.True(TraceHeaders.TryExtract(new HeaderDictionary { ["b3"] = "0" }, out var context));
        Assert.False(context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded));
    }

    [Fact]
    public void Injected_headers_replace_the_incoming_ones_with_the_span_in_every_format()
    {
        using var span = new Activity("test");
        span.SetParentId(ActivityTraceId.CreateFromString(TraceId), ActivitySpanId.CreateFromString(SpanId), ActivityTraceFlags.Recorded);
        span.TraceStateString = "vendor=x";
        span.Start();
        using var request = new HttpRequestMessage();
        request.Headers.TryAddWithoutValidation("traceparent", "00-11111111111111111111111111111111-2222222222222222-01");
        request.Headers.TryAddWithoutValidation("x-b3-spanid", "2222222222222222");
        request.Headers.TryAddWithoutValidation("b3", "stale");

        TraceHeaders.Inject(request.Headers, span, singleB3: true);

        var spanId = span.SpanId.ToHexString();
        Assert.Equal($"00-{TraceId}-{spanId}-01", Single(request, "traceparent"));
        Assert.Equal("vendor=x", Single(request, "tracestate"));
        Assert.Equal(TraceId, Single(request, "x-b3-traceid"));
        Assert.Equal(spanId, Single(request, "x-b3-spanid"));
        Assert.Equal(SpanId, Single(request, "x-b3-parentspanid"));
        Assert.Equal("1", Single(request, "x-b3-sampled"));
        Assert.Equal($"{TraceId}-{spanId}-1-{SpanId}", Single(request, "b3"));
    }

    [Theory]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", null, TraceId)]
    [InlineData(null, "a3ce929d0e0e4736", "a3ce929d0e0e4736")]
    [InlineData("nonsense", "NOT-HEX", "")]
    public void The_access_log_takes_the_trace_id_from_the_headers_when_tracing_is_off(string? traceParent, string? b3, string expected)
    {
        Assert.Equal(expected, TraceHeaders.TraceIdOf(traceParent, b3).ToString());
    }

    private static string Single(HttpRequestMessage request, string name) => Assert.Single(request.Headers.GetValues(name));
}
