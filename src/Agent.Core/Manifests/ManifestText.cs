using System.Text;

namespace Agent.Core.Manifests;

/// <summary>A manifest file's bytes as text: strict UTF-8, with the position of what is not.</summary>
internal static class ManifestText
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public readonly record struct Position(int Line, int Column, string Message);

    public static (string? Text, Position? Error) Decode(byte[] content)
    {
        var start = content.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        try
        {
            return (Strict.GetString(content, start, content.Length - start), null);
        }
        catch (DecoderFallbackException e)
        {
            var offset = start + Math.Max(0, e.Index);
            var bad = e.BytesUnknown is { Length: > 0 } unknown ? unknown[0] : content[Math.Min(offset, content.Length - 1)];
            var (line, column) = LineAndColumn(content.AsSpan(start, offset - start));
            return (null, new Position(line, column, $"invalid UTF-8 (byte 0x{bad:X2} at offset {offset}): manifests must be UTF-8 text"));
        }
    }

    /// <summary>The line and column of the first NUL character, or null.</summary>
    public static Position? FindNul(string text)
    {
        var at = text.IndexOf('\0');
        if (at < 0) return null;
        var before = text.AsSpan(0, at);
        var line = before.Count('\n') + 1;
        return new Position(line, at - (before.LastIndexOf('\n') + 1) + 1, "");
    }

    /// <summary>Line and column (in characters) just after <paramref name="valid"/>, which is valid UTF-8.</summary>
    private static (int Line, int Column) LineAndColumn(ReadOnlySpan<byte> valid)
    {
        var line = valid.Count((byte)'\n') + 1;
        var lastLine = valid[(valid.LastIndexOf((byte)'\n') + 1)..];
        return (line, Encoding.UTF8.GetCharCount(lastLine) + 1);
    }
}
