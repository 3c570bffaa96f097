using System.Text.Json;
using System.Text.Json.Serialization;

namespace Agent.Http;

/// <summary>Request bodies parsed strictly: unknown, duplicate or differently-cased keys are errors, with the key named.</summary>
public static class StrictJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = false,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
        NumberHandling = JsonNumberHandling.Strict,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
    };

    public static async Task<(T? Value, string? Error)> ReadAsync<T>(HttpContext http, CancellationToken ct) where T : class
    {
        if (http.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
            return (null, "send the body as JSON with Content-Type: application/json");
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(http.Request.Body, Options, ct);
            return value is null ? (null, "the body is empty or null") : (value, null);
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 1 } path ? $" at {path}" : "";
            var message = e.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? $"unknown field{where}: field names are case-sensitive lowerCamelCase, and privileged exec is never allowed"
                : e.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase) ? $"duplicate field{where}" : $"invalid JSON{where}: {e.Message.Split(" Path:")[0]}";
            return (null, message);
        }
    }
}
