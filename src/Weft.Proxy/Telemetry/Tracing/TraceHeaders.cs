using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Weft.Proxy.Telemetry.Tracing;

/// <summary>
/// The trace context on the wire: W3C <c>traceparent</c>/<c>tracestate</c> and Zipkin's B3, both
/// as separate <c>x-b3-*</c> headers and as the single <c>b3</c> header. A request continues the
/// first valid context it carries (traceparent, then b3, then x-b3-*); a forwarded request carries
/// the proxy's own span in every format (the single b3 header only when the caller used it).
/// </summary>
internal static class TraceHeaders
{
    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";
    public const string B3 = "b3";
    public const string B3TraceId = "x-b3-traceid";
    public const string B3SpanId = "x-b3-spanid";
    public const string B3ParentSpanId = "x-b3-parentspanid";
    public const string B3Sampled = "x-b3-sampled";
    public const string B3Flags = "x-b3-flags";

    private static readonly string[] All = [TraceParent, TraceState, B3, B3TraceId, B3SpanId, B3ParentSpanId, B3Sampled, B3Flags];

    /// <summary>
    /// The context a request continues; false when it carries none (a new trace starts). A B3
    /// sampling decision without ids ("b3: 0") yields a fresh context that keeps the decision.
    /// </summary>
    public static bool TryExtract(IHeaderDictionary headers, out ActivityContext context)
    {
        if (headers.TryGetValue(TraceParent, out var traceParent) && traceParent.Count == 1
            && ActivityContext.TryParse(traceParent[0], headers.TryGetValue(TraceState, out var state) && state.Count == 1 ? state[0] : null, isRemote: true, out context))
        {
            return true;
        }

        if (headers.TryGetValue(B3, out var single) && single.Count == 1 && TryParseSingle(single[0], out context))
        {
            return true;
        }

        if (headers.TryGetValue(B3TraceId, out var traceId) && headers.TryGetValue(B3SpanId, out var spanId)
            && TryParseIds(traceId.Count == 1 ? traceId[0] : null, spanId.Count == 1 ? spanId[0] : null, out var trace, out var span))
        {
            var sampled = IsDebug(headers[B3Flags]) || IsSampled(headers[B3Sampled], defaultValue: true);
            context = new ActivityContext(trace, span, sampled ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None, traceState: null, isRemote: true);
            return true;
        }

        if (!IsSampled(headers[B3Sampled], defaultValue: true) && !IsDebug(headers[B3Flags]))
        {
            context = Unsampled();
            return true;
        }

        context = default;
        return false;
    }

    /// <summary>
    /// Replaces whatever trace headers the request arrived with by <paramref name="span"/>'s context,
    /// so the next hop sees this proxy's span as its parent.
    /// </summary>
    public static void Inject(HttpRequestHeaders headers, Activity span, bool singleB3)
    {
        foreach (var name in All)
        {
            headers.Remove(name);
        }

        var traceId = span.TraceId.ToHexString();
        var spanId = span.SpanId.ToHexString();
        var sampled = span.Recorded;
        headers.TryAddWithoutValidation(TraceParent, string.Concat("00-", traceId, "-", spanId, sampled ? "-01" : "-00"));
        if (!string.IsNullOrEmpty(span.TraceStateString))
        {
            headers.TryAddWithoutValidation(TraceState, span.TraceStateString);
        }

        headers.TryAddWithoutValidation(B3TraceId, traceId);
        headers.TryAddWithoutValidation(B3SpanId, spanId);
        var parent = span.ParentSpanId;
        var hasParent = parent != default;
        if (hasParent)
        {
            headers.TryAddWithoutValidation(B3ParentSpanId, parent.ToHexString());
        }

        headers.TryAddWithoutValidation(B3Sampled, sampled ? "1" : "0");
        if (singleB3)
        {
            headers.TryAddWithoutValidation(B3, hasParent
                ? string.Concat(traceId, "-", spanId, sampled ? "-1-" : "-0-", parent.ToHexString())
                : string.Concat(traceId, "-", spanId, sampled ? "-1" : "-0"));
        }
    }

    /// <summary>The trace id of a traceparent or B3 value, without allocating; empty when there is none.</summary>
    public static ReadOnlySpan<char> TraceIdOf(string? traceParent, string? b3TraceId)
    {
        if (traceParent is { Length: 55 } && traceParent[2] == '-' && traceParent[35] == '-')
        {
            return traceParent.AsSpan(3, 32);
        }

        return b3TraceId is { Length: 16 or 32 } && IsLowerHex(b3TraceId) ? b3TraceId : default;
    }

    /// <summary>b3: {traceid}-{spanid}[-{sampling}[-{parentspanid}]], or the sampling decision alone.</summary>
    private static bool TryParseSingle(string? value, out ActivityContext context)
    {
        context = default;
        var text = (value ?? "").AsSpan().Trim();
        if (text.Length == 1)
        {
            if (text[0] == '0')
            {
                context = Unsampled();
                return true;
            }

            return false; // "1" or "d" alone: sample, but nothing to continue
        }

        var first = text.IndexOf('-');
        if (first <= 0)
        {
            return false;
        }

        var rest = text[(first + 1)..];
        var second = rest.IndexOf('-');
        var spanText = second < 0 ? rest : rest[..second];
        var sampling = second < 0 ? ReadOnlySpan<char>.Empty : rest[(second + 1)..];
        var third = sampling.IndexOf('-');
        if (third >= 0)
        {
            sampling = sampling[..third];
        }

        if (!TryParseIds(text[..first], spanText, out var trace, out var span))
        {
            return false;
        }

        var sampled = sampling.Length == 0 || sampling is "1" or "d" || sampling.Equals("true", StringComparison.OrdinalIgnoreCase);
        context = new ActivityContext(trace, span, sampled ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None, traceState: null, isRemote: true);
        return true;
    }

    private static bool TryParseIds(ReadOnlySpan<char> traceText, ReadOnlySpan<char> spanText, out ActivityTraceId trace, out ActivitySpanId span)
    {
        trace = default;
        span = default;
        if (traceText.Length is not (16 or 32) || spanText.Length != 16 || !IsLowerHex(traceText) || !IsLowerHex(spanText)
            || IsAllZeros(traceText) || IsAllZeros(spanText))
        {
            return false;
        }

        if (traceText.Length == 16)
        {
            // A 64-bit B3 trace id is the low half of a 128-bit one.
            Span<char> padded = stackalloc char[32];
            padded[..16].Fill('0');
            traceText.CopyTo(padded[16..]);
            trace = ActivityTraceId.CreateFromString(padded);
        }
        else
        {
            trace = ActivityTraceId.CreateFromString(traceText);
        }

        span = ActivitySpanId.CreateFromString(spanText);
        return true;
    }

    private static ActivityContext Unsampled() =>
        new(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None, traceState: null, isRemote: true);

    private static bool IsSampled(StringValues value, bool defaultValue) => value.Count != 1 ? defaultValue : value[0] switch
    {
        "1" or "true" or "True" => true,
        "0" or "false" or "False" => false,
        _ => defaultValue,
    };

    private static bool IsDebug(StringValues value) => value.Count == 1 && value[0] == "1";

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    private static bool IsLowerHex(ReadOnlySpan<char> text) => !text.ContainsAnyExcept(LowerHex);

    private static bool IsAllZeros(ReadOnlySpan<char> text) => !text.ContainsAnyExcept('0');
}
