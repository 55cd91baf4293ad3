using System.Globalization;

namespace Weft.Config.Model;

/// <summary>
/// A duration written the way Istio manifests write them: "1s", "250ms", "1m30s", "1.5s", "2h".
/// </summary>
public readonly record struct Duration(TimeSpan Value)
{
    public static bool TryParse(string? text, out Duration duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var span = text.AsSpan().Trim();
        double totalMs = 0;
        while (!span.IsEmpty)
        {
            var numberLength = 0;
            while (numberLength < span.Length && (char.IsAsciiDigit(span[numberLength]) || span[numberLength] == '.'))
            {
                numberLength++;
            }

            if (numberLength == 0 || !double.TryParse(span[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            span = span[numberLength..];
            var unitLength = 0;
            while (unitLength < span.Length && char.IsAsciiLetter(span[unitLength]))
            {
                unitLength++;
            }

            double? unitMs = span[..unitLength] switch
            {
                "h" => 3_600_000,
                "m" => 60_000,
                "s" => 1_000,
                "ms" => 1,
                "us" or "µs" => 0.001,
                "ns" => 0.000_001,
                _ => null,
            };
            if (unitMs is null)
            {
                return false;
            }

            totalMs += number * unitMs.Value;
            span = span[unitLength..];
        }

        // "1e400s" or "99999999999h" is no duration TimeSpan can hold: refused, not an overflow.
        if (!double.IsFinite(totalMs) || totalMs > TimeSpan.MaxValue.TotalMilliseconds)
        {
            return false;
        }

        duration = new Duration(TimeSpan.FromMilliseconds(totalMs));
        return true;
    }

    public override string ToString()
    {
        if (Value.TotalMilliseconds < 1000 || Value.Milliseconds != 0)
        {
            return Value.TotalMilliseconds.ToString(CultureInfo.InvariantCulture) + "ms";
        }

        return Value.TotalSeconds.ToString(CultureInfo.InvariantCulture) + "s";
    }
}
