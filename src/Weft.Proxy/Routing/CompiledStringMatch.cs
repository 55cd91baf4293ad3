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

    // Building a NonBacktracking regex costs milliseconds and kilobytes; a config push usually brings
    // the same patterns again, so snapshots share them (a Regex is immutable and thread-safe).
    private const int MaxCachedRegexes = 4096;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Regex> Regexes = new(StringComparer.Ordinal);

    /// <summary>The compiled regex for <paramref name="pattern"/>, shared by every snapshot that uses it.</summary>
    internal static Regex CompileRegex(string pattern, string context)
    {
        if (Regexes.TryGetValue(pattern, out var cached))
        {
            return cached;
        }

        if (Regexes.Count >= MaxCachedRegexes)
        {
            Regexes.Clear(); // patterns in force come straight back; stale ones do not pile up
        }

        try
        {
            return Regexes.GetOrAdd(pattern, static p => new Regex(
                "^(?:" + p + ")\\z",
                RegexOptions.NonBacktracking | RegexOptions.CultureInvariant));
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            throw new ProxyConfigException($"{context}: invalid regex '{pattern}': {ex.Message}", ex);
        }
    }
}
