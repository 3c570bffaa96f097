using System.Text;
using System.Text.Json;

namespace Agent.Core.Manifests;

/// <summary>Where a JSON body stops being JSON: 1-based line and column (characters) of the body as sent, the field whose
/// value it was in (<c>container.image</c>; empty outside any field) and the reason.</summary>
public sealed record JsonSyntaxError(int Line, int Column, string Path, string Message)
{
    /// <summary>The error without its field: <c>invalid JSON at line 1, column 38: '}' is an invalid start of a value</c>.</summary>
    public string Text => $"invalid JSON at line {Line}, column {Column}: {Message}";

    /// <summary>As the API's problems name a field: <c>container.image: invalid JSON at line 1, column 38: ...</c>.</summary>
    public override string ToString() => Path.Length > 0 ? $"{Path}: {Text}" : Text;
}

/// <summary>
/// Checks that a request body is JSON before any parser reads it. The request parsers read JSON as YAML (the manifest's
/// own parser), and YAML accepts what JSON does not (<c>{"image": }</c> is a null there) and places a syntax error where
/// its scanner gave up: at the end of the stream, "line 2, column 1" for a one-line body. This finds the first byte that
/// is not JSON, with the field it belongs to, and a field given twice in one object. Depth is not limited here: the
/// parsers' own limits report it.
/// </summary>
public static class JsonSyntax
{
    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];

    /// <summary>A leading UTF-8 byte order mark, which JSON readers of bytes do not take.</summary>
    public static int BomLength(ReadOnlySpan<byte> utf8) => utf8.StartsWith(Bom) ? Bom.Length : 0;

    public static JsonSyntaxError? Check(string text) => Check(Encoding.UTF8.GetBytes(text));

    public static JsonSyntaxError? Check(ReadOnlySpan<byte> utf8)
    {
        utf8 = utf8[BomLength(utf8)..];
        if (utf8.Trim(" \t\r\n"u8).IsEmpty) return new JsonSyntaxError(1, 1, "", "the body is empty: send one JSON object");
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = int.MaxValue });
        var open = new List<Frame>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        if (NoText(ref reader, utf8, open) is { } badName) return badName;
                        var name = reader.GetString()!;
                        open[^1].Property = name;
                        if (!open[^1].Names.Add(name))
                        {
                            // Readers differ on which of two values they keep: the body says two things, so it is refused.
                            var (line, column) = At(utf8, reader.TokenStartIndex);
                            return new JsonSyntaxError(line, column, PathOf(open), $"duplicate field \"{Bounded(name)}\": give each field once");
                        }
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        if (open.Count > 0 && open[^1].IsArray) open[^1].Index++;
                        open.Add(new Frame(reader.TokenType == JsonTokenType.StartArray, reader.TokenStartIndex));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        open.RemoveAt(open.Count - 1);
                        ValueEnded(open);
                        break;
                    default:
                        if (open.Count > 0 && open[^1].IsArray) open[^1].Index++;
                        if (reader.TokenType == JsonTokenType.String && NoText(ref reader, utf8, open) is { } badText) return badText;
                        ValueEnded(open);
                        break;
                }
            }
            return null;
        }
        catch (JsonException e)
        {
            var (line, column) = At(utf8, e.LineNumber ?? 0, e.BytePositionInLine ?? 0);
            var message = Reason(e.Message);
            if (message.StartsWith("Expected depth to be zero", StringComparison.Ordinal) && open.Count > 0)
            {
                var innermost = open[^1];
                var (openLine, openColumn) = At(utf8, innermost.Start);
                message = $"the body ends before the '{(innermost.IsArray ? '[' : '{')}' at line {openLine}, column {openColumn} is closed with '{(innermost.IsArray ? ']' : '}')}'";
            }
            return new JsonSyntaxError(line, column, PathOf(open), message);
        }
    }

    /// <summary>A string or field name the reader took that is not text: bytes that are not UTF-8, or a \u escape of half
    /// a surrogate pair. The reader passes both; a parser then failed on them as a field of the wrong type (probe-62:
    /// "name: must be a string").</summary>
    private static JsonSyntaxError? NoText(ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8, List<Frame> open)
    {
        var what = reader.TokenType == JsonTokenType.PropertyName ? "a field name" : "the text";
        string? why = null;
        if (!System.Text.Unicode.Utf8.IsValid(reader.ValueSpan)) why = $"{what} is not UTF-8: send the body as UTF-8";
        else if (reader.ValueIsEscaped)
            try
            {
                reader.GetString();
            }
            catch (InvalidOperationException)
            {
                why = $"{what} has a \\u escape that is no character (half of a surrogate pair)";
            }
        if (why is null) return null;
        var (line, column) = At(utf8, reader.TokenStartIndex);
        var path = reader.TokenType == JsonTokenType.String && open is [.., { IsArray: true } list]
            ? Bounded($"{FullPathOf(open)}[{list.Index}]") : PathOf(open);
        return new JsonSyntaxError(line, column, path, why);
    }

    private sealed class Frame(bool isArray, long start)
    {
        public bool IsArray { get; } = isArray;
        public long Start { get; } = start;
        public string? Property { get; set; }
        public HashSet<string> Names { get; } = new(StringComparer.Ordinal);
        public int Index { get; set; } = -1;
    }

    /// <summary>A field's value is complete: an error after it is no longer in that field.</summary>
    private static void ValueEnded(List<Frame> open)
    {
        if (open.Count > 0 && !open[^1].IsArray) open[^1].Property = null;
    }

    /// <summary>A field's path as an answer names it: a body nested thousands deep would name one as long as itself,
    /// several times in the answer (probe-39: 4.8 MB for an 800 KB body), so a long one keeps its start and its end.</summary>
    public static string Bounded(string path) =>
        path.Length <= MaxPath ? path : $"{path[..(MaxPath / 2)]}...({path.Length - MaxPath / 2 - MaxPath / 4} characters)...{path[^(MaxPath / 4)..]}";

    private const int MaxPath = 200;

    /// <summary>The field the reader was in: <c>service.ports[0].target</c>; the innermost list is named without an index
    /// (the reader may have failed before or after its next element).</summary>
    private static string PathOf(List<Frame> open) => Bounded(FullPathOf(open));

    private static string FullPathOf(List<Frame> open)
    {
        var path = new StringBuilder();
        for (var i = 0; i < open.Count; i++)
        {
            var frame = open[i];
            if (frame.IsArray)
            {
                if (i < open.Count - 1 && frame.Index >= 0) path.Append('[').Append(frame.Index).Append(']');
            }
            else if (frame.Property is { } name)
            {
                if (path.Length > 0) path.Append('.');
                path.Append(name);
            }
            else break; // between fields of this object: the error is in no field below it
        }
        return path.ToString();
    }

    /// <summary>The reader's message without its own 0-based byte position.</summary>
    /// <summary>The reader's message without its position and without its advice to programmers ("Change the reader
    /// options": a client cannot, and comments or trailing commas are not JSON).</summary>
    private static string Reason(string message)
    {
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        var text = (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ');
        var kept = text.Split(". ").Where(s => !s.Contains("reader options", StringComparison.OrdinalIgnoreCase)).Select(s => s.Replace(" in this mode", " in JSON", StringComparison.Ordinal));
        return string.Join(". ", kept).TrimEnd('.', ' ');
    }

    /// <summary>1-based line and character column of a 0-based line and byte position in it (the reader's counting).</summary>
    public static (int Line, int Column) At(ReadOnlySpan<byte> utf8, long line, long byteInLine)
    {
        var start = 0;
        for (long l = 0; l < line; l++)
        {
            var next = utf8[start..].IndexOf((byte)'\n');
            if (next < 0) break;
            start += next + 1;
        }
        var end = (int)Math.Min(utf8.Length, start + byteInLine);
        return ((int)line + 1, Encoding.UTF8.GetCharCount(utf8[start..end]) + 1);
    }

    /// <summary>1-based line and character column of a 0-based byte offset.</summary>
    private static (int Line, int Column) At(ReadOnlySpan<byte> utf8, long offset)
    {
        var before = utf8[..(int)Math.Min(offset, utf8.Length)];
        var lineStart = before.LastIndexOf((byte)'\n') + 1;
        return (before.Count((byte)'\n') + 1, Encoding.UTF8.GetCharCount(before[lineStart..]) + 1);
    }
}
