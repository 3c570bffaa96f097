using System.Text;
using System.Text.RegularExpressions;

namespace Agent.Core.Build;

/// <summary>An image a Dockerfile makes the builder use (pulled when missing): a FROM or a COPY --from=, with its line.</summary>
public sealed record DockerfileImage(int Line, string Instruction, string Image);

/// <summary>
/// The images a Dockerfile builds from, as the classic builder reads it: parser directives (escape), comments, line
/// continuations, global ARGs before the first FROM (their defaults overridden by the build's args) substituted into
/// FROM, and stage names (FROM x AS name, COPY --from=name or an index) told apart from images. FROM scratch is no image.
/// </summary>
public static partial class DockerfileImages
{
    public static IReadOnlyList<DockerfileImage> Of(string dockerfile, IReadOnlyDictionary<string, string> buildArgs)
    {
        var images = new List<DockerfileImage>();
        var globals = new Dictionary<string, string?>(StringComparer.Ordinal);
        var stages = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var seenFrom = false;
        var stageCount = 0;
        foreach (var (line, text) in Instructions(dockerfile))
        {
            var words = Words(text);
            if (words.Count == 0) continue;
            var instruction = words[0].ToUpperInvariant();
            if (instruction == "ARG" && !seenFrom)
            {
                foreach (var declaration in words.Skip(1))
                {
                    var eq = declaration.IndexOf('=');
                    var name = eq < 0 ? declaration : declaration[..eq];
                    globals[name] = buildArgs.TryGetValue(name, out var given) ? given : eq < 0 ? null : Unquote(declaration[(eq + 1)..]);
                }
            }
            else if (instruction == "FROM")
            {
                seenFrom = true;
                var operands = words.Skip(1).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
                if (operands.Count == 0) continue;
                var image = Substitute(operands[0], globals);
                if (!image.Equals("scratch", StringComparison.OrdinalIgnoreCase) && !stages.Contains(image))
                    images.Add(new DockerfileImage(line, "FROM", image));
                if (operands.Count >= 3 && operands[1].Equals("AS", StringComparison.OrdinalIgnoreCase)) stages.Add(operands[2]);
                stages.Add(stageCount++.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            else if (instruction == "COPY")
            {
                foreach (var flag in words.Skip(1).TakeWhile(w => w.StartsWith("--", StringComparison.Ordinal)))
                {
                    if (!flag.StartsWith("--from=", StringComparison.OrdinalIgnoreCase)) continue;
                    var source = flag["--from=".Length..];
                    if (!stages.Contains(source)) images.Add(new DockerfileImage(line, "COPY --from", source));
                }
            }
        }
        return images;
    }

    /// <summary>ADD sources that are URLs (http, https, git, ssh): the engine itself fetches them, from the host's own
    /// network namespace (its loopback, the cloud metadata address), not from a build container's network. Build args, or
    /// else ARG defaults, are substituted first.</summary>
    public static IReadOnlyList<(int Line, string Source)> RemoteAddSources(string dockerfile, IReadOnlyDictionary<string, string> buildArgs)
    {
        var found = new List<(int, string)>();
        var args = buildArgs.ToDictionary(a => a.Key, a => (string?)a.Value, StringComparer.Ordinal);
        foreach (var (line, text) in Instructions(dockerfile))
        {
            var words = Words(text);
            if (words.Count >= 2 && words[0].Equals("ARG", StringComparison.OrdinalIgnoreCase))
                foreach (var declaration in words.Skip(1).Where(d => d.Contains('=')))
                    args.TryAdd(declaration[..declaration.IndexOf('=')], Unquote(declaration[(declaration.IndexOf('=') + 1)..]));
            if (words.Count < 3 || !words[0].Equals("ADD", StringComparison.OrdinalIgnoreCase)) continue;
            var rest = text[words[0].Length..].TrimStart();
            var operands = rest.StartsWith('[') ? JsonOperands(rest) : words.Skip(1).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
            foreach (var source in operands.Take(Math.Max(0, operands.Count - 1)).Select(o => Substitute(Unquote(o), args)))
                if (RemoteScheme().IsMatch(source) || source.StartsWith("git@", StringComparison.Ordinal))
                    found.Add((line, source));
        }
        return found;
    }

    private static List<string> JsonOperands(string array)
    {
        try
        {
            return System.Text.Json.JsonDocument.Parse(array).RootElement.EnumerateArray().Select(e => e.GetString() ?? "").ToList();
        }
        catch (System.Text.Json.JsonException)
        {
            return Words(array.Trim('[', ']')).Select(w => w.Trim(',', '"')).ToList();
        }
    }

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.-]*://")]
    private static partial Regex RemoteScheme();

    /// <summary>Logical lines (continuations joined, comments and parser directives dropped) with the line they start on.</summary>
    private static IEnumerable<(int Line, string Text)> Instructions(string dockerfile)
    {
        var lines = dockerfile.Replace("\r\n", "\n").TrimStart('\uFEFF').Split('\n');
        var escape = '\\';
        var start = 0;
        // Parser directives come first, before any comment, blank line or instruction.
        for (; start < lines.Length && Directive().Match(lines[start]) is { Success: true } directive; start++)
            if (directive.Groups[1].Value.Equals("escape", StringComparison.OrdinalIgnoreCase) && directive.Groups[2].Value.Trim() is [var c]) escape = c;

        var current = new StringBuilder();
        var first = 0;
        for (var i = start; i < lines.Length; i++)
        {
            var line = lines[i];
            var trimmed = line.TrimStart();
            if (trimmed.StartsWith('#')) continue; // comments, also inside a continued instruction
            if (current.Length == 0)
            {
                if (trimmed.Length == 0) continue;
                first = i + 1;
            }
            var end = line.TrimEnd();
            if (end.EndsWith(escape))
            {
                current.Append(end[..^1]).Append(' ');
                continue;
            }
            current.Append(line);
            yield return (first, current.ToString().Trim());
            current.Clear();
        }
        if (current.Length > 0) yield return (first, current.ToString().Trim());
    }

    private static List<string> Words(string text) =>
        text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).ToList();

    private static string Unquote(string value) =>
        value.Length >= 2 && (value[0] == '"' && value[^1] == '"' || value[0] == '\'' && value[^1] == '\'') ? value[1..^1] : value;

    /// <summary>$VAR, ${VAR}, ${VAR:-default} and ${VAR:+alternative} from the global ARGs.</summary>
    private static string Substitute(string text, Dictionary<string, string?> args) =>
        Variable().Replace(text, m =>
        {
            var name = m.Groups["plain"].Success ? m.Groups["plain"].Value : m.Groups["name"].Value;
            var value = args.GetValueOrDefault(name);
            return m.Groups["op"].Value switch
            {
                ":-" => string.IsNullOrEmpty(value) ? m.Groups["word"].Value : value,
                ":+" => string.IsNullOrEmpty(value) ? "" : m.Groups["word"].Value,
                _ => value ?? "",
            };
        });

    [GeneratedRegex(@"^#\s*([a-zA-Z]+)\s*=\s*(.*)$")]
    private static partial Regex Directive();

    [GeneratedRegex(@"\$(?:(?<plain>[A-Za-z_][A-Za-z0-9_]*)|\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?<op>:-|:\+)(?<word>[^}]*))?\})")]
    private static partial Regex Variable();
}
