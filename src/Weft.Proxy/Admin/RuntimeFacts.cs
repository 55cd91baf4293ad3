using System.Runtime;
using System.Runtime.InteropServices;
using System.Text.Json;
using Weft.Proxy.Hosting;

namespace Weft.Proxy.Admin;

/// <summary>
/// How this sidecar process runs — its executable, NativeAOT or JIT, GC mode and gen0 budget,
/// event-loop I/O, processors — as the config dump's "runtime" object (`weft proxy-config
/// bootstrap`): the settings bench/README.md measured, so a user can see which ones a sidecar has.
/// </summary>
internal static class RuntimeFacts
{
    // Not RuntimeFeature.IsDynamicCodeSupported: a project that publishes with NativeAOT turns that off in its JIT builds too.
    private static bool IsNativeAot => JitInfo.GetCompiledMethodCount() == 0;

    public static void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("executable", Environment.ProcessPath);
        json.WriteBoolean("nativeAot", IsNativeAot);
        json.WriteString("framework", RuntimeInformation.FrameworkDescription);
        json.WriteString("gc", GCSettings.IsServerGC ? "server" : "workstation");
        // The GC does not say what gen0 budget it was given: the setting is read where it comes from.
        var (gen0, source) = Gen0Budget();
        json.WriteNumber("gen0BudgetBytes", gen0);
        json.WriteString("gen0BudgetSource", source);
        json.WriteBoolean("eventLoopIo", InlineIo.Enabled);
        json.WriteNumber("processors", Environment.ProcessorCount);
        json.WriteEndObject();
    }

    /// <summary>
    /// The gen0 budget in bytes and where it was set: DOTNET_GCgen0size (read as this runtime reads
    /// it), or built into weft-proxy; 0 and "runtime" when the runtime sizes gen0 itself from the CPU cache.
    /// </summary>
    private static (long Bytes, string Source) Gen0Budget()
    {
        const string variable = "DOTNET_GCgen0size";
        if (ParseHex(Environment.GetEnvironmentVariable(variable), prefixAllowed: !IsNativeAot) is { } fromEnvironment)
        {
            return (fromEnvironment, variable);
        }

        return ParseHex(AppContext.GetData("Weft.Proxy.BuiltInGen0Size") as string, prefixAllowed: false) is { } builtIn ? (builtIn, "built into weft-proxy") : (0, "runtime");
    }

    /// <summary>
    /// A GC size setting as the runtime reads it: hex digits, and a 0x prefix only where
    /// <paramref name="prefixAllowed"/> (the JIT runtime; NativeAOT silently ignores such a value);
    /// null when absent, ignored, not hex or not positive.
    /// </summary>
    internal static long? ParseHex(string? text, bool prefixAllowed)
    {
        var prefixed = text?.StartsWith("0x", StringComparison.OrdinalIgnoreCase) == true;
        if (prefixed && !prefixAllowed)
        {
            return null;
        }

        var digits = prefixed ? text![2..] : text;
        return long.TryParse(digits, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : null;
    }
}
