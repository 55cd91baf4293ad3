using Weft.Proxy.Matching;

namespace Weft.Proxy.Authorization;

/// <summary>
/// <c>request.headers[name]</c>: the header's value (several values joined with ',', as Envoy) matches one
/// of the values and none of the notValues. A missing header fails values and passes notValues.
/// </summary>
internal sealed class HeaderCondition(string name, ValueMatcher[] values, ValueMatcher[] notValues, bool matchesWithoutHttp) : ConditionMatcher
{
    public string Name { get; } = name;

    public override bool IsMatch(in AuthorizationRequest request)
    {
        if (request.IsTcp)
        {
            return matchesWithoutHttp; // no headers at L4: see AuthorizationRequest.IsTcp
        }

        var present = request.Headers.TryGetValue(Name, out var header) && header.Count > 0;
        if (values.Length > 0 && (!present || !AnyMatch(values, header)))
        {
            return false;
        }

        return notValues.Length == 0 || !present || !AnyMatch(notValues, header);
    }

    private static bool AnyMatch(ValueMatcher[] matchers, Microsoft.Extensions.Primitives.StringValues header)
    {
        for (var i = 0; i < matchers.Length; i++)
        {
            if (HeaderValueMatcher.IsMatch(header, matchers[i]))
            {
                return true;
            }
        }

        return false;
    }
}
