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

    /// <summary>The body as <typeparamref name="T"/>, or what is wrong with it: the field, line and column, and why
    /// (<see cref="ApiProblems.BadBody"/> answers it as the run and job parsers' errors are).</summary>
    public static async Task<(T? Value, FieldError? Error)> ReadAsync<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>(HttpContext http, CancellationToken ct) where T : class
    {
        if (http.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
            return (null, new FieldError("", 1, 1, "send the body as JSON with Content-Type: application/json"));
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, ct);
        return Parse<T>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>A body already read, as <typeparamref name="T"/>, or what is wrong with it (as <see cref="ReadAsync{T}"/>).</summary>
    public static (T? Value, FieldError? Error) Parse<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>(ReadOnlySpan<byte> body) where T : class
    {
        // Syntax first, by the checker every JSON body goes through: it names the line, column and field as sent.
        if (Core.Manifests.JsonSyntax.Check(body) is { } syntax) return (null, new FieldError(syntax.Path, syntax.Line, syntax.Column, syntax.Text));
        var bom = Core.Manifests.JsonSyntax.BomLength(body);
        try
        {
            var value = JsonSerializer.Deserialize(body[bom..], (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T)));
            return value is null ? (null, new FieldError("", 1, 1, "the body is null: send one JSON object")) : (value, null);
        }
        catch (JsonException e)
        {
            var field = e.Path is { Length: > 2 } path ? path[2..] : "";
            var (line, column) = Core.Manifests.JsonSyntax.At(body[bom..], e.LineNumber ?? 0, e.BytePositionInLine ?? 0);
            var unknown = UnknownProperty().Match(e.Message);
            if (unknown.Success && !field.EndsWith(unknown.Groups[1].Value, StringComparison.Ordinal))
                field = field.Length > 0 ? $"{field}.{unknown.Groups[1].Value}" : unknown.Groups[1].Value;
            return (null, new FieldError(Core.Manifests.JsonSyntax.Bounded(field), line, column, Message<T>(e, unknown, field)));
        }
    }

    private static string Message<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>(JsonException e, System.Text.RegularExpressions.Match unknown, string field)
    {
        var fields = string.Join(", ", typeof(T).GetProperties().Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)));
        if (unknown.Success)
            return unknown.Groups[1].Value.Equals("privileged", StringComparison.OrdinalIgnoreCase)
                ? "privileged is not a field: a privileged exec is never allowed"
                : $"unknown field \"{Core.Manifests.JsonSyntax.Bounded(unknown.Groups[1].Value)}\": the fields are {fields} (case-sensitive)";
        if (e.Message.Contains("could not be converted", StringComparison.Ordinal))
            return field.Length > 0 ? $"must be {Expected<T>(field)}" : $"the body must be a JSON object with the fields {fields}";
        if (e.Message.Contains("depth", StringComparison.OrdinalIgnoreCase))
            return $"the body nests deeper than {(Options.MaxDepth == 0 ? 64 : Options.MaxDepth)} levels";
        return $"invalid JSON: {Sentence(e.Message)}";
    }
}
