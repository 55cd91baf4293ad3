namespace Weft.Config.Loading;

/// <summary>
/// Marks a field of Istio's schema that Weft accepts but does not act on yet. The loader reports
/// every such field that a manifest sets, so nothing is ignored silently.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class NotImplementedAttribute : Attribute;
