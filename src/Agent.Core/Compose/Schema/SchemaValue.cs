using System.Globalization;
using Agent.Core.Model;

namespace Agent.Core.Compose.Schema;

/// <summary>A value as the schema sees it, with where it came from (position and field path). An object's entries keep
/// the position of their key.</summary>
public sealed class SchemaValue
{
    public required JsonKind Kind { get; init; }
    /// <summary>string, long, double or bool for scalars; null for JSON null and containers.</summary>
    public object? Scalar { get; init; }
    public IReadOnlyList<SchemaEntry> Entries { get; init; } = [];
    public IReadOnlyList<SchemaValue> Items { get; init; } = [];
    public required SourceLocation At { get; init; }
    public required string Path { get; init; }

    public SchemaEntry? Entry(string name) => Entries.FirstOrDefault(e => e.Name == name);

    /// <summary>The value as text, the way values were compared for enum and uniqueItems: scalars bare (strings without
    /// quotes, booleans True/False, null empty), containers as their JSON.</summary>
    public string Text => Kind switch
    {
        JsonKind.Null => "",
        JsonKind.String => (string)Scalar!,
        JsonKind.Boolean => (bool)Scalar! ? "True" : "False",
        JsonKind.Integer or JsonKind.Number => Convert.ToString(Scalar, CultureInfo.InvariantCulture)!,
        JsonKind.Array => "[" + string.Join(",", Items.Select(i => i.JsonText)) + "]",
        _ => "{" + string.Join(",", Entries.Select(e => Quoted(e.Name) + ":" + e.Value.JsonText)) + "}",
    };

    private string JsonText => Kind switch
    {
        JsonKind.String => Quoted((string)Scalar!),
        JsonKind.Null => "null",
        JsonKind.Boolean => (bool)Scalar! ? "true" : "false",
        _ => Text,
    };

    private static string Quoted(string s) => "\"" + System.Text.Json.JsonEncodedText.Encode(s) + "\"";
}

/// <summary>An object's entry: its key's position and path, and its value.</summary>
public sealed record SchemaEntry(string Name, SourceLocation At, string Path, SchemaValue Value);
