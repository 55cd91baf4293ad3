using System.Globalization;
using Weft.Protocol.V1;

namespace Weft.Proxy.Authorization;

/// <summary>
/// One <c>when</c> condition of an authorization rule. Supported keys: <c>request.headers[name]</c>,
/// <c>source.principal</c>, <c>source.namespace</c>, <c>source.ip</c> and <c>remote.ip</c> (CIDR or
/// address), <c>destination.port</c> and the JWT's <c>request.auth.*</c>. The values use the policy string forms (exact, prefix*, *suffix, *);
/// notValues must not match.
/// </summary>
internal abstract class ConditionMatcher
{
    private const string HeaderKeyPrefix = "request.headers[";

    public abstract bool IsMatch(in AuthorizationRequest request);

    /// <summary>
    /// Compiles a condition. A key this proxy cannot evaluate fails closed, as Istio does for attributes a
    /// proxy lacks: in a DENY (or AUDIT) policy the condition matches, in an ALLOW policy it never does.
    /// The mesh compiler reports such keys; this is the last line of defence.
    /// </summary>
    public static ConditionMatcher Build(AuthorizationCondition condition, AuthorizationAction action, string context)
    {
        context = $"{context} condition '{condition.Key}'";
        var key = condition.Key;
        switch (key)
        {
            case "source.principal":
                return new PrincipalCondition(new ValueSet(condition.Values, condition.NotValues));
            case "source.namespace":
                return new NamespaceCondition(new ValueSet(condition.Values, condition.NotValues));
            case "source.ip":
                return new SourceIpCondition(IpMatcher.BuildAll(condition.Values, context), IpMatcher.BuildAll(condition.NotValues, context), remote: false);
            case "remote.ip":
                return new SourceIpCondition(IpMatcher.BuildAll(condition.Values, context), IpMatcher.BuildAll(condition.NotValues, context), remote: true);
            case "destination.port":
                return new DestinationPortCondition(new PortSet(ParsePorts(condition.Values, context), ParsePorts(condition.NotValues, context)));
        }

        if (key.StartsWith(HeaderKeyPrefix, StringComparison.Ordinal) && key.EndsWith(']') && key.Length > HeaderKeyPrefix.Length + 1)
        {
            var name = key[HeaderKeyPrefix.Length..^1];
            return new HeaderCondition(name, ValueMatcher.BuildAll(condition.Values), ValueMatcher.BuildAll(condition.NotValues), action != AuthorizationAction.Allow);
        }

        if (RequestAuthCondition.TryBuild(key, ValueMatcher.BuildAll(condition.Values), ValueMatcher.BuildAll(condition.NotValues), action != AuthorizationAction.Allow) is { } auth)
        {
            return auth;
        }

        return action == AuthorizationAction.Allow ? UnsupportedCondition.NeverMatches : UnsupportedCondition.AlwaysMatches;
    }

    private static int[] ParsePorts(IReadOnlyList<string> values, string context)
    {
        var ports = new int[values.Count];
        for (var i = 0; i < ports.Length; i++)
        {
            if (!int.TryParse(values[i], NumberStyles.None, CultureInfo.InvariantCulture, out ports[i]) || ports[i] > 65535)
            {
                throw new ProxyConfigException($"{context}: invalid port '{values[i]}'.");
            }
        }

        return ports;
    }
}
