namespace Weft.Proxy.Matching;

/// <summary>A precompiled predicate over a string value, evaluated without allocating.</summary>
internal interface ISpanMatcher
{
    bool IsMatch(ReadOnlySpan<char> value);
}
