namespace Weft.Proxy.Authorization;

/// <summary>
/// <c>source.ip</c> (the peer address) or <c>remote.ip</c> (the original client's): the address is in
/// one of the values' blocks and in none of the notValues'.
/// </summary>
internal sealed class SourceIpCondition(IpMatcher[] values, IpMatcher[] notValues, bool remote) : ConditionMatcher
{
    public override bool IsMatch(in AuthorizationRequest request)
    {
        var address = remote ? request.RemoteIp : request.SourceIp;
        if (values.Length > 0 && (address is null || !IpMatcher.AnyMatch(values, address)))
        {
            return false;
        }

        return notValues.Length == 0 || address is null || !IpMatcher.AnyMatch(notValues, address);
    }
}
