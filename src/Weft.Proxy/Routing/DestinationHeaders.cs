using Weft.Protocol.V1;

namespace Weft.Proxy.Routing;

/// <summary>
/// Header operations of one weighted destination (Istio's per-destination <c>headers</c>, a Gateway API
/// backendRef's header filters), applied after the route's own when that destination is chosen.
/// </summary>
internal sealed class DestinationHeaders
{
    private DestinationHeaders(HeaderEdits? request, HeaderEdits? response)
    {
        Request = request;
        Response = response;
    }

    public HeaderEdits? Request { get; }

    public HeaderEdits? Response { get; }

    public static DestinationHeaders? Build(WeightedCluster destination) =>
        destination.RequestHeaders is null && destination.ResponseHeaders is null
            ? null
            : new DestinationHeaders(HeaderEdits.Build(destination.RequestHeaders), HeaderEdits.Build(destination.ResponseHeaders));
}
