using Weft.Protocol.V1;
using Weft.Proxy.Matching;

namespace Weft.Proxy.Routing;

/// <summary>
/// One header condition of a route match: the header is absent (<c>absent</c>), present (no value
/// matcher), or present with a value the matcher accepts (several values are joined with ',', as Envoy).
/// </summary>
internal sealed class CompiledHeaderMatch
{
    private readonly CompiledStringMatch? _value;
    private readonly bool _absent;

    private CompiledHeaderMatch(string name, CompiledStringMatch? value, bool absent)
    {
        Name = name;
        _value = value;
        _absent = absent;
    }

    public string Name { get; }

    public static CompiledHeaderMatch Build(HeaderMatch match, string context)
    {
        if (string.IsNullOrEmpty(match.Name))
        {
            throw new ProxyConfigException($"{context}: header match without a name.");
        }

        var value = match.Absent ? null : CompiledStringMatch.Build(match.Value, ignoreCase: false, $"{context} header '{match.Name}'");
        return new CompiledHeaderMatch(match.Name, value, match.Absent);
    }

    public bool IsMatch(IHeaderDictionary headers)
    {
        var present = headers.TryGetValue(Name, out var values) && values.Count > 0;
        if (_absent)
        {
            return !present;
        }

        if (!present)
        {
            return false;
        }

        return _value is null || HeaderValueMatcher.IsMatch(values, _value);
    }
}
