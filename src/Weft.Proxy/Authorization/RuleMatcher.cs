using Weft.Protocol.V1;

namespace Weft.Proxy.Authorization;

/// <summary>
/// One rule of a policy: any of its sources, any of its operations and all of its conditions must
/// match; a part left empty matches everything (so a rule with nothing in it matches every request).
/// </summary>
internal sealed class RuleMatcher
{
    private readonly SourceMatcher[] _sources;
    private readonly OperationMatcher[] _operations;
    private readonly ConditionMatcher[] _conditions;

    public RuleMatcher(AuthorizationRule rule, AuthorizationAction action, string context)
    {
        _sources = new SourceMatcher[rule.From.Count];
        for (var i = 0; i < _sources.Length; i++)
        {
            _sources[i] = new SourceMatcher(rule.From[i], action, context);
        }

        _operations = new OperationMatcher[rule.To.Count];
        for (var i = 0; i < _operations.Length; i++)
        {
            _operations[i] = new OperationMatcher(rule.To[i], action);
        }

        _conditions = new ConditionMatcher[rule.When.Count];
        for (var i = 0; i < _conditions.Length; i++)
        {
            _conditions[i] = ConditionMatcher.Build(rule.When[i], action, context);
        }
    }

    /// <summary>Why the rule does not match — its first part that fails — or null when it matches. For explanations.</summary>
    public string? Mismatch(in AuthorizationRequest request)
    {
        if (_sources.Length > 0)
        {
            var why = new List<string>();
            for (var i = 0; i < _sources.Length; i++)
            {
                if (_sources[i].Mismatch(request) is not { } field)
                {
                    why.Clear();
                    break;
                }

                why.Add($"source {i} by {field}");
            }

            if (why.Count > 0)
            {
                return "from: " + string.Join("; ", why);
            }
        }

        if (_operations.Length > 0)
        {
            var why = new List<string>();
            for (var i = 0; i < _operations.Length; i++)
            {
                if (_operations[i].Mismatch(request) is not { } field)
                {
                    why.Clear();
                    break;
                }

                why.Add($"operation {i} by {field}");
            }

            if (why.Count > 0)
            {
                return "to: " + string.Join("; ", why);
            }
        }

        for (var i = 0; i < _conditions.Length; i++)
        {
            if (!_conditions[i].IsMatch(request))
            {
                return $"when[{i}] is not met";
            }
        }

        return null;
    }

    public bool IsMatch(in AuthorizationRequest request)
    {
        var sources = _sources;
        if (sources.Length > 0)
        {
            var any = false;
            for (var i = 0; i < sources.Length && !any; i++)
            {
                any = sources[i].IsMatch(request);
            }

            if (!any)
            {
                return false;
            }
        }

        var operations = _operations;
        if (operations.Length > 0)
        {
            var any = false;
            for (var i = 0; i < operations.Length && !any; i++)
            {
                any = operations[i].IsMatch(request);
            }

            if (!any)
            {
                return false;
            }
        }

        var conditions = _conditions;
        for (var i = 0; i < conditions.Length; i++)
        {
            if (!conditions[i].IsMatch(request))
            {
                return false;
            }
        }

        return true;
    }
}
