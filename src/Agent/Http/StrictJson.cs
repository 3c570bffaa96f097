using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Agent.Http;

/// <summary>Request bodies parsed strictly: unknown, duplicate or differently-cased keys are errors, with the key named.</summary>
public static partial class StrictJson
{
    [System.Text.RegularExpressions.GeneratedRegex("JSON property '([^']*)' could not be mapped")]
    private static partial System.Text.RegularExpressions.Regex UnknownProperty();

    /// <summary>The shape a field takes, in words (never a .NET type name).</summary>
    private static string Expected<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>(string path)
    {
        var name = path.Split('.', '[')[0];
        var type = typeof(T).GetProperties().FirstOrDefault(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name) == name)?.PropertyType;
        type = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        return type switch
        {
            null => "of another type",
            _ when type == typeof(string) => "a string",
            _ when type == typeof(int) || type == typeof(long) => "a whole number",
            _ when type == typeof(bool) => "true or false",
            _ when type.IsGenericType && type.GetGenericArguments().Length == 2 => "an object of string values, like {\"KEY\": \"value\"}",
            _ when typeof(System.Collections.IEnumerable).IsAssignableFrom(type) => "a list of strings, like [\"sh\", \"-c\", \"echo hi\"]",
            _ => "an object",
        };
    }

    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = false,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
        NumberHandling = JsonNumberHandling.Strict,
    };

    static StrictJson()
    {
        foreach (var converter in AgentJson.EnumConverters(JsonNamingPolicy.CamelCase, allowIntegers: false)) Options.Converters.Add(converter);
        AgentJson.UseContexts(Options);
    }

    /// <summary>The reader's message without its position suffix, its advice to the programmer ("Change the reader
    /// options") and any .NET type name.</summary>
    private static string Sentence(string message)
    {
        var text = message.Split(" Path:")[0].Split(" LineNumber:")[0];
        var sentences = text.Split(". ").Where(s => !s.Contains("reader options", StringComparison.OrdinalIgnoreCase)).Select(s => TypeName().Replace(s, "this field"));
        return string.Join(". ", sentences).TrimEnd('.');
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"'?\b(?:System|Agent|Microsoft)\.[\w.+`]+(?:\[[^\]]*\])?'?")]
    private static partial System.Text.RegularExpressions.Regex TypeName();

    public static async Task<(T? Value, string? Error)> ReadAsync<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>(HttpContext http, CancellationToken ct) where T : class
    {
        if (http.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
            return (null, "send the body as JSON with Content-Type: application/json");
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, ct);
        var body = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        // Syntax first, by the checker every JSON body goes through: it names the line, column and field as sent.
        if (Core.Manifests.JsonSyntax.Check(body.Span) is { } syntax) return (null, syntax.ToString());
        try
        {
            var value = JsonSerializer.Deserialize(body.Span[Core.Manifests.JsonSyntax.BomLength(body.Span)..],
                (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T)));
            return value is null ? (null, "the body is empty or null") : (value, null);
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 1 } path ? $" at {path}" : "";
            var fields = string.Join(", ", typeof(T).GetProperties().Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)));
            string message;
            if (UnknownProperty().Match(e.Message) is { Success: true } unknown)
            {
                var name = unknown.Groups[1].Value;
                message = name.Equals("privileged", StringComparison.OrdinalIgnoreCase)
                    ? "privileged is not a field: a privileged exec is never allowed"
                    : $"unknown field \"{name}\": the fields are {fields} (case-sensitive)";
            }
            else if (e.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase))
                message = $"duplicate field{where}";
            else if (e.Message.Contains("could not be converted", StringComparison.Ordinal) && e.Path is { Length: > 2 } at)
                message = $"{at[2..]} must be {Expected<T>(at[2..])}";
            else if (e.Message.Contains("could not be converted", StringComparison.Ordinal))
                message = $"the body must be a JSON object with the fields {fields}";
            else if (e.Message.Contains("depth", StringComparison.OrdinalIgnoreCase))
                message = $"the body nests deeper than {(Options.MaxDepth == 0 ? 64 : Options.MaxDepth)} levels{where}";
            else
                message = $"invalid JSON{where}: {Sentence(e.Message)}";
            return (null, message);
        }
    }
}
