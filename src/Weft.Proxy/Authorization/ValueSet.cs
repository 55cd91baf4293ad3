namespace Weft.Proxy.Authorization;

/// <summary>
/// A positive list and a negative list of patterns on one attribute (principals/notPrincipals, …):
/// when the positive list is present the value must match one of it; when the negative list is present
/// the value must match none of it. An absent attribute (null) fails a positive list and passes a
/// negative one, as in Envoy RBAC (e.g. notPrincipals admits an unauthenticated peer).
/// </summary>
internal sealed class ValueSet
{
    private readonly ValueMatcher[] _values;
    private readonly ValueMatcher[] _notValues;

    public ValueSet(IReadOnlyList<string> values, IReadOnlyList<string> notValues, bool ignoreCase = false)
    {
        _values = ValueMatcher.BuildAll(values, ignoreCase);
        _notValues = ValueMatcher.BuildAll(notValues, ignoreCase);
    }

    public bool IsEmpty => _values.Length == 0 && _notValues.Length == 0;

    public bool IsMatch(string? value)
    {
        if (_values.Length > 0 && !ValueMatcher.AnyMatch(_values, value))
        {
            return false;
        }

        return _notValues.Length == 0 || !ValueMatcher.AnyMatch(_notValues, value);
    }
}
