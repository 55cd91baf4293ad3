using System.Text.RegularExpressions;
using Weft.Protocol.V1;
using Weft.Proxy.Matching;

namespace Weft.Proxy.Routing;

/// <summary>
/// A precompiled Istio StringMatch: exact, prefix, or regex. Regexes are full-string matches, compiled
/// once with the non-backtracking engine (linear time, RE2-like: no backreferences or lookarounds).
/// Exact and prefix are case-sensitive unless built with ignoreCase (VirtualService ignoreUriCase).
/// </summary>
internal sealed class CompiledStringMatch : ISpanMatcher
{
    private readonly StringMatch.KindOneofCase _kind;
    private readonly string _value;
    private readonly Regex? _regex;
    private readonly StringComparison _comparison;

    private CompiledStringMatch(StringMatch.KindOneofCase kind, string value, Regex? regex, StringComparison comparison)
    {
        _kind = kind;
        _value = value;
        _regex = regex;
        _comparison = comparison;
    }

    /// <summary>Null for an unset StringMatch (or one with no kind), which constrains nothing.</summary>
    public static CompiledStringMatch? Build(StringMatch? match, bool ignoreCase, string context)
    {
        if (match is null)
        {
            return null;
        }

        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return match.KindCase switch
        {
            StringMatch.KindOneofCase.Exact => new CompiledStringMatch(match.KindCase, match.Exact, null, comparison),
            StringMatch.KindOneofCase.Prefix => new CompiledStringMatch(match.KindCase, match.Prefix, null, comparison),
            StringMatch.KindOneofCase.Regex => new CompiledStringMatch(match.KindCase, match.Regex, CompileRegex(match.Regex, context), comparison),
            _ => null,
        };
    }

    public bool IsMatch(ReadOnlySpan<char> value) => _kind switch
    {
        StringMatch.KindOneofCase.Exact => value.Equals(_value, _comparison),
        StringMatch.KindOneofCase.Prefix => value.StartsWith(_value, _comparison),
        _ => _regex!.IsMatch(value),
    };

    public override string ToString() => $"{_kind}:{_value}";

    private static Regex CompileRegex(string pattern, string context)
    {
        try
        {
            return new Regex(
                "^(?:" + pattern + ")\\z",
                RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            throw new ProxyConfigException($"{context}: invalid regex '{pattern}': {ex.Message}", ex);
        }
    }
}
