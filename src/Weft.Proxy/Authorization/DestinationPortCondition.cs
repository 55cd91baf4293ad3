namespace Weft.Proxy.Authorization;

/// <summary><c>destination.port</c>: the workload port the request arrived on.</summary>
internal sealed class DestinationPortCondition(PortSet ports) : ConditionMatcher
{
    public override bool IsMatch(in AuthorizationRequest request) => ports.IsMatch(request.Port);
}
