using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Agent.Cli;

internal static class CliJson
{
    /// <summary>The CLI's own JSON output: camelCase, indented, source-generated (no reflection). Text for a terminal or
    /// a pipe, not HTML: `+`, quotes and non-ASCII letters are written as they are (probe-65: `22:15:55\u002B00:00`).</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true, TypeInfoResolver = CliJsonContext.Default, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>A request body as the API reads it (camelCase, nulls left out).</summary>
    public static System.Net.Http.Json.JsonContent Body<T>(T body) => System.Net.Http.Json.JsonContent.Create(body, Http.ApiJson.Info<T>());

    private static readonly JsonSerializerOptions Compact = new(JsonSerializerDefaults.Web) { TypeInfoResolver = CliJsonContext.Default };

    public static JsonTypeInfo<T> Info<T>(JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    /// <summary>The JSON of a value the CLI prints (camelCase).</summary>
    public static JsonElement Element<T>(T value) => JsonSerializer.SerializeToElement(value, Info<T>(Compact));
}

/// <summary>What `agent system proxy -o json` prints: the URL through the agent and the API's upstream answer.</summary>
internal sealed record ProxyAnswer(string Proxy, JsonElement Upstream);

/// <summary>What `agent validate -o json` prints.</summary>
internal sealed record ValidationReport(bool Valid, IEnumerable<ValidationReport.ValidObject> Objects, IEnumerable<ValidationReport.Error> Errors)
{
    public sealed record ValidObject(string Kind, string Name, string File, int Line);

    public sealed record Error(string File, int Line, int Column, string Field, string Message);
}

[JsonSerializable(typeof(ValidationReport))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(ProxyAnswer))]
[JsonSerializable(typeof(IReadOnlyList<JsonElement>))]
[JsonSerializable(typeof(Dictionary<string, IReadOnlyList<JsonElement>>))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
