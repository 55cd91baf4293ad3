using Weft.Proxy.Matching;

namespace Weft.Proxy.Authorization;

/// <summary>
/// One AuthorizationPolicy string in Istio's forms: "*" (any non-empty value), "*abc" (suffix),
/// "abc*" (prefix), otherwise exact. A leading '*' wins over a trailing one, as in Istio.
/// Case-sensitive except for hosts.
/// </summary>
internal sealed class ValueMatcher : ISpanMatcher
{
    private readonly Kind _kind;
    private readonly string _value;
    private readonly StringComparison _comparison;

    private ValueMatcher(Kind kind, string value, StringComparison comparison)
    {
        _kind = kind;
        _value = value;
        _comparison = comparison;
    }

    private enum Kind
    {
        Exact,
        Prefix,
        Suffix,
        Present,
    }

    public static ValueMatcher Build(string pattern, bool ignoreCase = false)
    {
        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (pattern == "*")
        {
            return new ValueMatcher(Kind.Present, "", comparison);
        }

        if (pattern.StartsWith('*'))
        {
            return new ValueMatcher(Kind.Suffix, pattern[1..], comparison);
        }

        if (pattern.EndsWith('*'))
        {
            return new ValueMatcher(Kind.Prefix, pattern[..^1], comparison);
        }

        return new ValueMatcher(Kind.Exact, pattern, comparison);
    }

    public static ValueMatcher[] BuildAll(IReadOnlyList<string> patterns, bool ignoreCase = false)
    {
        var matchers = new ValueMatcher[patterns.Count];
        for (var i = 0; i < matchers.Length; i++)
        {
            matchers[i] = Build(patterns[i], ignoreCase);
        }

        return matchers;
    }

    public bool IsMatch(ReadOnlySpan<char> value) => _kind switch
    {
        Kind.Exact => value.Equals(_value, _comparison),
        Kind.Prefix => value.StartsWith(_value, _comparison),
        Kind.Suffix => value.EndsWith(_value, _comparison),
        _ => !value.IsEmpty,
    };

    /// <summary>Whether any matcher accepts <paramref name="value"/>; a null value (absent attribute) matches none.</summary>
    public static bool AnyMatch(ValueMatcher[] matchers, string? value)
    {
        if (value is null)
        {
            return false;
        }

        for (var i = 0; i < matchers.Length; i++)
        {
            if (matchers[i].IsMatch(value))
            {
                return true;
            }
        }

        return false;
    }

    public override string ToString() => _kind == Kind.Present ? "*" : $"{_kind}:{_value}";
}
