using System.Collections;
using System.Reflection;
using System.Text.Json;
using Weft.Config.Model;

namespace Weft.Config.Loading;

/// <summary>
/// Finds the fields a resource sets that Weft accepts but does not act on: properties typed
/// <see cref="JsonElement"/> (kept only to be reported) and properties marked
/// <see cref="NotImplementedAttribute"/>.
/// </summary>
internal static class NotImplementedFields
{
    public static List<string> Find(Resource resource)
    {
        var found = new List<string>();
        var spec = resource.GetType().GetProperty("Spec")?.GetValue(resource);
        if (spec is not null)
        {
            Walk(spec, "spec", found);
        }

        return found;
    }

    private static void Walk(object value, string path, List<string> found)
    {
        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var child = property.GetValue(value);
            if (child is null)
            {
                continue;
            }

            var childPath = FieldPath.Append(path, JsonNamingPolicy.CamelCase.ConvertName(property.Name));
            if (child is JsonElement || property.GetCustomAttribute<NotImplementedAttribute>() is not null)
            {
                found.Add(childPath);
                continue;
            }

            switch (child)
            {
                case string or IDictionary<string, string>:
                    break;
                case IDictionary dictionary:
                    foreach (DictionaryEntry entry in dictionary)
                    {
                        if (entry.Value is not null && IsModel(entry.Value))
                        {
                            Walk(entry.Value, FieldPath.Append(childPath, (string)entry.Key), found);
                        }
                    }

                    break;
                case IList list:
                    for (var i = 0; i < list.Count; i++)
                    {
                        if (list[i] is { } item && IsModel(item))
                        {
                            Walk(item, FieldPath.Index(childPath, i), found);
                        }
                    }

                    break;
                default:
                    if (IsModel(child))
                    {
                        Walk(child, childPath, found);
                    }

                    break;
            }
        }
    }

    private static bool IsModel(object value) => value.GetType().Namespace == typeof(Resource).Namespace && value.GetType().IsClass;
}
