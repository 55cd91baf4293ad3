using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Weft.Config.Model;

namespace Weft.Config.Loading;

/// <summary>
/// Accepts YAML's unquoted numbers and booleans where a string is expected (labels such as
/// <c>version: 2</c>), as users expect from Kubernetes tooling that quotes them for them.
/// </summary>
internal sealed class LenientStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number => NumberText(ref reader),
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => null,
        _ => throw new JsonException(),
    };

    private static string NumberText(ref Utf8JsonReader reader) =>
        reader.TryGetInt64(out var integer) ? integer.ToString(CultureInfo.InvariantCulture) : reader.GetDouble().ToString(CultureInfo.InvariantCulture);

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}

internal sealed class DurationConverter : JsonConverter<Duration>
{
    public override Duration Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && Duration.TryParse(reader.GetString(), out var duration))
        {
            return duration;
        }

        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : reader.TokenType.ToString().ToLowerInvariant();
        throw new JsonException(null, new FormatException($"'{text}' is not a duration; write it like 1s, 250ms or 1m30s"));
    }

    public override void Write(Utf8JsonWriter writer, Duration value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}

internal sealed class IntOrStringConverter : JsonConverter<IntOrString>
{
    public override IntOrString Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.Number when reader.TryGetInt32(out var number) => new IntOrString(number, null),
        JsonTokenType.String => int.TryParse(reader.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? new IntOrString(n, null)
            : new IntOrString(null, reader.GetString()),
        _ => throw new JsonException(null, new FormatException("expected a port number or a port name")),
    };

    public override void Write(Utf8JsonWriter writer, IntOrString value, JsonSerializerOptions options)
    {
        if (value.Number is { } number)
        {
            writer.WriteNumberValue(number);
        }
        else
        {
            writer.WriteStringValue(value.Text);
        }
    }
}

/// <summary>
/// String-keyed maps whose values may not be null (`labels: {app: ~}`, a portLevelMtls entry with
/// nothing under it): such a value is refused at its path, as the loader refuses a null field.
/// </summary>
internal sealed class NonNullMapConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(Dictionary<,>)
        && typeToConvert.GetGenericArguments()[0] == typeof(string) && !typeToConvert.GetGenericArguments()[1].IsValueType;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(NonNullMapConverter<>).MakeGenericType(typeToConvert.GetGenericArguments()[1]))!;

    private sealed class NonNullMapConverter<TValue> : JsonConverter<Dictionary<string, TValue>>
    {
        public override Dictionary<string, TValue> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("expected a map");
            }

            var map = new Dictionary<string, TValue>(StringComparer.Ordinal);
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var key = reader.GetString()!;
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null)
                {
                    throw new JsonException($"'{key}' has no value");
                }

                map[key] = JsonSerializer.Deserialize<TValue>(ref reader, options)!;
            }

            return map;
        }

        public override void Write(Utf8JsonWriter writer, Dictionary<string, TValue> value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            foreach (var (key, item) in value)
            {
                writer.WritePropertyName(key);
                JsonSerializer.Serialize(writer, item, options);
            }

            writer.WriteEndObject();
        }
    }
}
