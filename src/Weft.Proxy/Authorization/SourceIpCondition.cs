namespace Weft.Proxy.Authorization;

/// <summary><c>source.ip</c>: the peer address is in one of the values' blocks and in none of the notValues'.</summary>
internal sealed class SourceIpCondition(IpMatcher[] values, IpMatcher[] notValues) : ConditionMatcher
{
    public override bool IsMatch(in AuthorizationRequest request)
    {
        var address = request.SourceIp;
        if (values.Length > 0 && (address is null || !AnyMatch(values, address)))
        {
            return false;
        }

        return notValues.Length == 0 || address is null || !AnyMatch(notValues, address);
    }

    private static bool AnyMatch(IpMatcher[] matchers, System.Net.IPAddress address)
    {
        for (var i = 0; i < matchers.Length; i++)
        {
            if (matchers[i].IsMatch(address))
            {
                return true;
            }
        }

        return false;
    }
}
