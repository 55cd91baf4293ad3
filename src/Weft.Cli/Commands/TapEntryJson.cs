using System.Text.Json;

namespace Weft.Cli.Commands;

/// <summary>Reads the fields of the sidecar's tap entries (JSON lines from its admin port's /tap).</summary>
internal static class TapEntryJson
{
    /// <summary>A string field of a tap entry; "" when it is null.</summary>
    public static string Text(this JsonElement entry, string property) => entry.GetProperty(property).GetString() ?? "";
}
