using Weft.Protocol.V1;

namespace Weft.Proxy.Authorization;

/// <summary>
/// One <c>to.operation</c>: every listed field must match. Hosts compare case-insensitively with the
/// request authority as sent (like Istio's match on :authority); methods and paths are case-sensitive.
/// </summary>
internal sealed class OperationMatcher
{
    private readonly ValueSet _methods;
    private readonly ValueSet _paths;
    private readonly PortSet _ports;
    private readonly ValueSet _hosts;
    private readonly bool _needsHttp;
    private readonly bool _matchesWithoutHttp;

    public OperationMatcher(AuthorizationOperation operation, AuthorizationAction action)
    {
        _methods = new ValueSet(operation.Methods, operation.NotMethods);
        _paths = new ValueSet(operation.Paths, operation.NotPaths);
        _ports = new PortSet(ToInts(operation.Ports), ToInts(operation.NotPorts));
        _hosts = new ValueSet(operation.Hosts, operation.NotHosts, ignoreCase: true);
        _needsHttp = !_methods.IsEmpty || !_paths.IsEmpty || !_hosts.IsEmpty;
        _matchesWithoutHttp = action != AuthorizationAction.Allow;
    }

    public bool IsMatch(in AuthorizationRequest request) =>
        request.IsTcp && _needsHttp
            ? _matchesWithoutHttp && (_ports.IsEmpty || _ports.IsMatch(request.Port))
            : (_methods.IsEmpty || _methods.IsMatch(request.Method))
        && (_paths.IsEmpty || _paths.IsMatch(request.Path))
        && (_ports.IsEmpty || _ports.IsMatch(request.Port))
        && (_hosts.IsEmpty || _hosts.IsMatch(request.Host));

    /// <summary>The first field that does not match (e.g. "paths (/charge)"), or null when the operation matches. For explanations.</summary>
    public string? Mismatch(in AuthorizationRequest request)
    {
        if (IsMatch(request))
        {
            return null;
        }

        if (request.IsTcp && _needsHttp)
        {
            return _matchesWithoutHttp ? $"ports ({request.Port})" : "methods/paths/hosts (a TCP connection has none)";
        }

        return !(_methods.IsEmpty || _methods.IsMatch(request.Method)) ? $"methods ({request.Method})"
            : !(_paths.IsEmpty || _paths.IsMatch(request.Path)) ? $"paths ({request.Path})"
            : !(_ports.IsEmpty || _ports.IsMatch(request.Port)) ? $"ports ({request.Port})"
            : $"hosts ({request.Host})";
    }

    private static int[] ToInts(IReadOnlyList<uint> values)
    {
        var ints = new int[values.Count];
        for (var i = 0; i < ints.Length; i++)
        {
            ints[i] = (int)Math.Min(values[i], int.MaxValue);
        }

        return ints;
    }
}
