using System.Net;
using Weft.Protocol.V1;
using Weft.Proxy.Authorization;
using Weft.Proxy.Tests.TestSupport;

namespace Weft.Proxy.Tests.Authorization;

internal static class Authz
{
    public const string Checkout = "cluster.local/ns/shop/sa/checkout";

    public static AuthorizationPolicy Policy(string name, AuthorizationAction action, params AuthorizationRule[] rules)
    {
        var policy = new AuthorizationPolicy { Name = name, Action = action };
        policy.Rules.Add(rules);
        return policy;
    }

    public static AuthorizationPolicy Allow(string name, params AuthorizationRule[] rules) => Policy(name, AuthorizationAction.Allow, rules);

    public static AuthorizationPolicy Deny(string name, params AuthorizationRule[] rules) => Policy(name, AuthorizationAction.Deny, rules);

    public static AuthorizationPolicy Audit(string name, params AuthorizationRule[] rules) => Policy(name, AuthorizationAction.Audit, rules);

    public static AuthorizationRule From(AuthorizationSource source) => new() { From = { source } };

    public static AuthorizationRule To(AuthorizationOperation operation) => new() { To = { operation } };

    public static AuthorizationRule When(AuthorizationCondition condition) => new() { When = { condition } };

    public static AuthorizationRule AnyRequest() => new();

    public static AuthorizationCondition Condition(string key, string? values, string? notValues)
    {
        var condition = new AuthorizationCondition { Key = key };
        if (values is not null)
        {
            condition.Values.Add(values.Split(','));
        }

        if (notValues is not null)
        {
            condition.NotValues.Add(notValues.Split(','));
        }

        return condition;
    }

    public static AuthorizationRequest Request(
        string? principal = null,
        string method = "GET",
        string path = "/",
        string host = "payments",
        int port = 9080,
        string? headers = null,
        string? ip = null) => new()
        {
            Principal = principal,
            SourceNamespace = NamespaceOf(principal),
            Method = method,
            Path = path,
            Host = host,
            Port = port,
            Headers = Headers.Parse(headers),
            SourceIp = ip is null ? null : IPAddress.Parse(ip),
        };

    public static AuthorizationDecision Evaluate(AuthorizationRequest request, params AuthorizationPolicy[] policies) =>
        AuthorizationEngine.Build(policies).Evaluate(request);

    private static string? NamespaceOf(string? principal)
    {
        if (principal is null)
        {
            return null;
        }

        var parts = principal.Split('/');
        var ns = Array.IndexOf(parts, "ns");
        return ns >= 0 && ns + 1 < parts.Length ? parts[ns + 1] : null;
    }
}
