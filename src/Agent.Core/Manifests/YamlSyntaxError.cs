using YamlDotNet.Core;

namespace Agent.Core.Manifests;

/// <summary>
/// A YAML syntax error as a person can act on it: the parser's own reason, at the line where the parser stopped, or
/// at the `[` / `{` that is still open there (an unclosed bracket is the usual cause, and the parser only notices it
/// lines later).
/// </summary>
internal static class YamlSyntaxError
{
    public static (Mark At, string Message) Describe(Exception e, BoundedYamlParser parser, string? text = null, string what = "YAML")
    {
        var stoppedAt = e is YamlException y && y.Start.Line > 0 ? y.Start : parser.LastEnd;
        var reason = Reason(e);
        if (reason.Contains("tab", StringComparison.Ordinal) && TabInIndentation(text, stoppedAt) is { } tab)
            return (tab, $"invalid {what}: a tab in the indentation (YAML indents with spaces only): {reason}");
        var duplicate = reason.StartsWith("duplicate field", StringComparison.Ordinal);
        if (!duplicate && parser.OpenFlows.FirstOrDefault() is { Opener: not '\0' } open && open.At.Line > 0
            && (e is not YamlException || open.At.Line < stoppedAt.Line))
        {
            var closer = open.Opener == '[' ? ']' : '}';
            // The parser's end of stream can lie past the text's last line (probe-39: "line 9" of a 7-line file).
            var where = text is not null && stoppedAt.Line > text.TrimEnd('\n', '\r').Split('\n').Length
                ? "at the end of the file" : $"at line {stoppedAt.Line}, column {stoppedAt.Column}";
            return (open.At, e is YamlException
                ? $"invalid {what}: this '{open.Opener}' is never closed with '{closer}' (the parser stopped {where}: {reason})"
                : $"invalid {what}: this '{open.Opener}' is never closed with '{closer}' (the parser could not continue after line {stoppedAt.Line}, column {stoppedAt.Column})");
        }
        return (stoppedAt.Line > 0 ? stoppedAt : new Mark(0, 1, 1), $"invalid {what}: {reason}");
    }

    /// <summary>The first tab in a line's indentation at or after <paramref name="from"/>: the parser names the start of
    /// what it was scanning (often line 1), not the tab (probe-33 F11).</summary>
    private static Mark? TabInIndentation(string? text, Mark from)
    {
        if (text is null) return null;
        var lines = text.Split('\n');
        for (var i = Math.Max(0, (int)from.Line - 1); i < lines.Length; i++)
        {
            var indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            if (lines[i].IndexOf('\t', 0, indent) is var tab and >= 0) return new Mark(0, i + 1, tab + 1);
        }
        return null;
    }

    private static string Reason(Exception e)
    {
        var message = (e as YamlException)?.InnerException?.Message ?? e.Message;
        if (message.StartsWith("Duplicate key ", StringComparison.Ordinal)) return $"duplicate field {YamlCursor.Quote(message[14..])}";
        var paren = message.IndexOf("): ", StringComparison.Ordinal);
        if (message.StartsWith('(') && paren > 0) message = message[(paren + 3)..];
        return e is YamlException ? message.TrimEnd('.') : $"the parser could not continue here (check brackets, quotes and indentation)";
    }
}
