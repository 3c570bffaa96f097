namespace Agent.Core.Build;

/// <summary>An image a Dockerfile makes the builder use (pulled when missing): a FROM or a COPY --from=, with its line.</summary>
public sealed record DockerfileImage(int Line, string Instruction, string Image);

/// <summary>
/// The images a Dockerfile builds from, as the classic builder reads it (<see cref="DockerfileLines"/>): global ARGs
/// before the first FROM (their defaults overridden by the build's args) substituted into FROM, and stage names
/// (FROM x AS name, COPY --from=name or an index) told apart from images. FROM scratch is no image.
/// </summary>
public static class DockerfileImages
{
    public static IReadOnlyList<DockerfileImage> Of(string dockerfile, IReadOnlyDictionary<string, string> buildArgs)
    {
        var images = new List<DockerfileImage>();
        var globals = new GlobalArgs(buildArgs);
        var stages = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var stageCount = 0;
        foreach (var instruction in DockerfileLines.Instructions(dockerfile))
        {
            if (instruction.Keyword == "ARG" && stageCount == 0) globals.Declare(instruction.Rest);
            else if (instruction.Keyword == "FROM" && globals.From(instruction) is { } from)
            {
                if (!from.Image.Equals("scratch", StringComparison.OrdinalIgnoreCase) && !stages.Contains(from.Image))
                    images.Add(new DockerfileImage(instruction.Line, "FROM", from.Image));
                if (from.Name is { } name) stages.Add(name);
                stages.Add(stageCount++.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            else if (instruction.Keyword == "COPY")
            {
                foreach (var flag in instruction.Flags.Where(f => f.StartsWith("--from=", StringComparison.OrdinalIgnoreCase)))
                {
                    var source = flag["--from=".Length..];
                    if (!stages.Contains(source)) images.Add(new DockerfileImage(instruction.Line, "COPY --from", source));
                }
            }
        }
        return images;
    }
}

/// <summary>The ARGs declared before the first FROM (build args override their defaults; a default may use earlier
/// ones), which only FROM lines substitute.</summary>
internal sealed class GlobalArgs(IReadOnlyDictionary<string, string> buildArgs)
{
    public Dictionary<string, string?> Values { get; } = new(StringComparer.Ordinal);

    public void Declare(string rest)
    {
        foreach (var (name, value) in Declarations.Of(rest))
            Values[name] = buildArgs.TryGetValue(name, out var given) ? given : value is null ? null : ShellWord.Expand(value, n => Values.GetValueOrDefault(n));
    }

    /// <summary>The image (substituted) and stage name of a FROM line; null when it names none.</summary>
    public (string Image, string? Name)? From(DockerfileInstruction from)
    {
        var words = DockerfileLines.Words(from.Rest);
        if (words.Count == 0) return null;
        var image = (ShellWord.Expand(words[0], n => Values.GetValueOrDefault(n)) ?? words[0]).Replace(ShellWord.Unknown.ToString(), "", StringComparison.Ordinal);
        return (image, words.Count >= 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null);
    }
}

/// <summary>The name[=value] words of ARG and the name=value words (or legacy "name value") of ENV, split the way the
/// builder splits them: at whitespace outside quotes, quotes and escapes kept for the word expansion.</summary>
internal static class Declarations
{
    public static IEnumerable<(string Name, string? Value)> Of(string rest, char escape = '\\') =>
        Words(rest, escape).Select(w => w.IndexOf('=') is var eq and >= 0 ? (w[..eq], (string?)w[(eq + 1)..]) : (w, null));

    /// <summary>ENV's pairs: "name value" when the first word has no '=' (the value is the rest of the line).</summary>
    public static IEnumerable<(string Name, string Value)> Env(string rest, char escape)
    {
        var words = Words(rest, escape);
        if (words.Count == 0) return [];
        if (!words[0].Contains('='))
        {
            var parts = DockerfileLines.Words(rest);
            return parts.Count < 2 ? [] : [(parts[0], rest.TrimStart()[parts[0].Length..].TrimStart())];
        }
        return words.Where(w => w.Contains('=')).Select(w => (w[..w.IndexOf('=')], w[(w.IndexOf('=') + 1)..]));
    }

    private static List<string> Words(string text, char escape)
    {
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        char? quote = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is null && char.IsWhiteSpace(c))
            {
                if (word.Length > 0) words.Add(word.ToString());
                word.Clear();
                continue;
            }
            word.Append(c);
            if (c == escape && quote != '\'' && i + 1 < text.Length) word.Append(text[++i]);
            else if (c == quote) quote = null;
            else if (quote is null && c is '"' or '\'') quote = c;
        }
        if (word.Length > 0) words.Add(word.ToString());
        return words;
    }
}
