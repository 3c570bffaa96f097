using System.Text;
using System.Text.RegularExpressions;

namespace Agent.Core.Build;

/// <summary>One instruction of a Dockerfile: its keyword (upper case), leading <c>--flags</c>, the text after them, and
/// the line it starts on.</summary>
public sealed record DockerfileInstruction(int Line, string Keyword, IReadOnlyList<string> Flags, string Rest)
{
    /// <summary>The operands as the builder splits them: a JSON array, or else words split at whitespace (quotes are
    /// not word boundaries here; the builder's word expansion reads them afterwards).</summary>
    public IReadOnlyList<string> Operands()
    {
        if (Rest.StartsWith('['))
        {
            try
            {
                var array = System.Text.Json.JsonDocument.Parse(Rest).RootElement;
                if (array.ValueKind == System.Text.Json.JsonValueKind.Array)
                    return array.EnumerateArray().Select(e => e.ValueKind == System.Text.Json.JsonValueKind.String ? e.GetString() ?? "" : e.GetRawText()).ToList();
            }
            catch (System.Text.Json.JsonException)
            {
            }
        }
        return DockerfileLines.Words(Rest);
    }
}

/// <summary>
/// A Dockerfile read the way the classic builder's parser reads it: a BOM dropped, parser directives at the top (only
/// <c># escape=</c> changes anything), logical lines joined at a trailing escape character (without a space: <c>AD\</c>
/// then <c>D</c> is <c>ADD</c>), comment and blank lines inside a continuation skipped, the keyword split off at the
/// first whitespace, then the leading <c>--flag</c> words.
/// </summary>
public static partial class DockerfileLines
{
    /// <summary>The escape characters a check must read the file with: the default and the one a directive names (a
    /// builder that does not honour the directive where it stands reads the default, so a check reads both).</summary>
    public static IReadOnlyList<char> EscapeReadings(string dockerfile)
    {
        var escape = Directives(Lines(dockerfile)).Escape;
        return escape == '\\' ? ['\\'] : ['\\', escape];
    }

    public static IEnumerable<DockerfileInstruction> Instructions(string dockerfile, char? escapeOverride = null)
    {
        var lines = Lines(dockerfile);
        var (start, directiveEscape) = Directives(lines);
        var escape = escapeOverride ?? directiveEscape;
        var continuation = new Regex(Regex.Escape(escape.ToString()) + @"[ \t]*$");
        for (var i = start; i < lines.Length; i++)
        {
            var first = lines[i].TrimStart(Whitespace);
            if (first.StartsWith('#')) continue;
            var line = i + 1;
            var text = new StringBuilder();
            var ended = !continuation.IsMatch(first);
            text.Append(ended ? first : continuation.Replace(first, ""));
            while (!ended && i + 1 < lines.Length)
            {
                var next = lines[++i];
                if (next.TrimStart(Whitespace).StartsWith('#') || next.Trim(Whitespace).Length == 0) continue;
                ended = !continuation.IsMatch(next);
                text.Append(ended ? next : continuation.Replace(next, ""));
            }
            var logical = text.ToString().Trim(Whitespace);
            if (logical.Length == 0) continue;
            yield return Split(line, logical);
        }
    }

    /// <summary>The instruction the classic builder's "Step N/M" runs: the Nth of the whole file (every stage counts, and
    /// the LABEL the engine appends for the build's labels comes after them); null past the file's own instructions.</summary>
    public static DockerfileInstruction? AtStep(string dockerfile, int step) =>
        step < 1 ? null : Instructions(dockerfile).Skip(step - 1).FirstOrDefault();

    /// <summary>An instruction's text (a logical line, or an ONBUILD trigger) as keyword, flags and the rest.</summary>
    public static DockerfileInstruction Split(int line, string logical)
    {
        var parts = WhitespaceRun().Split(logical.Trim(Whitespace), 2);
        var rest = parts.Length == 2 ? parts[1] : "";
        var flags = new List<string>();
        while (rest.StartsWith("--", StringComparison.Ordinal))
        {
            var words = WhitespaceRun().Split(rest, 2);
            flags.Add(words[0]);
            rest = words.Length == 2 ? words[1] : "";
        }
        return new DockerfileInstruction(line, parts[0].ToUpperInvariant(), flags, rest);
    }

    public static List<string> Words(string text) => WhitespaceRun().Split(text.Trim(Whitespace)).Where(w => w.Length > 0).ToList();

    /// <summary>The builder's whitespace: space, tab, vertical tab, form feed, carriage return.</summary>
    private static readonly char[] Whitespace = [' ', '\t', '\v', '\f', '\r'];

    private static string[] Lines(string dockerfile) =>
        dockerfile.TrimStart('\uFEFF').Split('\n').Select(l => l.TrimEnd('\r')).ToArray();

    /// <summary>Parser directives come first, before any comment, blank line or instruction.</summary>
    private static (int Start, char Escape) Directives(string[] lines)
    {
        var escape = '\\';
        var start = 0;
        for (; start < lines.Length && Directive().Match(lines[start].TrimStart(Whitespace)) is { Success: true } directive; start++)
            if (directive.Groups[1].Value.Equals("escape", StringComparison.OrdinalIgnoreCase) && directive.Groups[2].Value.Trim() is [var c and ('\\' or '`'), ..]) escape = c;
        return (start, escape);
    }

    [GeneratedRegex(@"^#\s*([a-zA-Z]+)\s*=\s*(.*)$")]
    private static partial Regex Directive();

    [GeneratedRegex(@"[ \t\v\f\r]+")]
    private static partial Regex WhitespaceRun();
}
