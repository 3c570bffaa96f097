using System.Text;

namespace Agent.Core.Compose;

/// <summary>
/// Env files (<c>.env</c>, compose <c>env_file</c>, ServiceGroup <c>envFrom</c>) read with compose-go's dotenv rules:
/// a BOM is skipped; <c>export </c> and YAML-style <c>KEY: value</c> are accepted; single quotes are literal;
/// double quotes expand <c>\n \t \r \" \\</c> and octal escapes and may span lines; text after a closing quote
/// (a comment) is dropped; unquoted values lose an inline <c> # comment</c>; <c>${VAR}</c>/<c>$VAR</c> (with
/// <c>:-</c>/<c>-</c> defaults) expand from the environment, then from earlier lines; a bare <c>KEY</c> takes the
/// environment's value and is absent when unset.
/// </summary>
public static class DotEnv
{
    /// <summary>Errors name the line, never its text: env files hold secrets, and errors reach logs and viewers.</summary>
    private const string Hidden = "(its text is not shown: env files hold secrets)";

    public sealed record Result(IReadOnlyList<KeyValuePair<string, string>> Values, IReadOnlyList<(int Line, string Message)> Errors);

    public static Result Parse(string text, Func<string, string?>? environment = null)
    {
        environment ??= _ => null;
        var values = new List<KeyValuePair<string, string>>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var errors = new List<(int, string)>();
        text = text.TrimStart('\uFEFF').Replace("\r\n", "\n").Replace('\r', '\n');
        var lines = text.Split('\n');
        string? Lookup(string name) => environment(name) ?? (seen.TryGetValue(name, out var v) ? v : null);

        for (var i = 0; i < lines.Length; i++)
        {
            var lineNumber = i + 1;
            var line = lines[i].TrimStart();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.StartsWith("export ", StringComparison.Ordinal) || line.StartsWith("export\t", StringComparison.Ordinal)) line = line[7..].TrimStart();

            var sep = line.IndexOfAny(['=', ':']);
            var key = (sep < 0 ? line : line[..sep]).TrimEnd();
            if (sep < 0)
            {
                // A bare KEY inherits the environment's value, and is simply absent when unset.
                var bare = key.Split('#')[0].Trim();
                if (!IsKey(bare)) { errors.Add((lineNumber, $"not a KEY=VALUE line {Hidden}")); continue; }
                if (environment(bare) is { } inherited) Set(bare, inherited);
                continue;
            }
            if (!IsKey(key))
            {
                errors.Add((lineNumber, key.Length == 0 ? $"no name before '{line[sep]}' {Hidden}" : $"the name before '{line[sep]}' is not a valid variable name {Hidden}"));
                continue;
            }
            var rest = line[(sep + 1)..];
            if (line[sep] == ':' && rest.Length > 0 && rest[0] is not (' ' or '\t'))
            {
                errors.Add((lineNumber, $"after \"{key}:\" put a space (YAML style) or use '=' {Hidden}"));
                continue;
            }
            rest = rest.TrimStart(' ', '\t');

            if (rest.Length > 0 && rest[0] is '\'' or '"')
            {
                var quote = rest[0];
                var body = new StringBuilder();
                var closed = false;
                var startLine = i;
                var current = rest[1..];
                while (true)
                {
                    var end = FindClosingQuote(current, quote);
                    if (end >= 0)
                    {
                        body.Append(current[..end]);
                        closed = true;
                        break; // whatever follows the closing quote (a comment) is dropped
                    }
                    body.Append(current);
                    if (i + 1 >= lines.Length) break;
                    body.Append('\n');
                    current = lines[++i];
                }
                if (!closed)
                {
                    errors.Add((startLine + 1, $"the value of {key} opens a {(quote == '"' ? "double" : "single")} quote that is never closed"));
                    continue;
                }
                if (quote == '\'') { Set(key, body.ToString()); continue; }
                var unescaped = Unescape(body.ToString());
                var expanded = Interpolation.Substitute(unescaped, Lookup, out var error);
                if (expanded is null) errors.Add((startLine + 1, error!));
                else Set(key, expanded);
                continue;
            }

            var value = rest;
            for (var j = 0; j < value.Length; j++)
                if (value[j] == '#' && (j == 0 || value[j - 1] is ' ' or '\t')) { value = value[..j]; break; }
            value = value.TrimEnd(' ', '\t');
            var substituted = Interpolation.Substitute(value, Lookup, out var err);
            if (substituted is null) errors.Add((lineNumber, err!));
            else Set(key, substituted);
        }
        return new Result(values, errors);

        void Set(string key, string value)
        {
            values.RemoveAll(kv => kv.Key == key);
            values.Add(new(key, value));
            seen[key] = value;
        }
    }

    private static int FindClosingQuote(string text, char quote)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (quote == '"' && text[i] == '\\') { i++; continue; }
            if (text[i] == quote) return i;
        }
        return -1;
    }

    /// <summary>Escapes inside double quotes. <c>\$</c> stays as <c>$$</c> so the expansion that follows keeps it literal.</summary>
    private static string Unescape(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\' || i + 1 >= text.Length) { sb.Append(text[i]); continue; }
            var c = text[++i];
            switch (c)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case '$': sb.Append("$$"); break;
                case >= '0' and <= '7':
                    var end = i;
                    while (end < text.Length && end - i < 3 && text[end] is >= '0' and <= '7') end++;
                    sb.Append((char)System.Convert.ToInt32(text[i..end], 8));
                    i = end - 1;
                    break;
                default: sb.Append(c); break; // \" \\ \' and anything else: the character itself
            }
        }
        return sb.ToString();
    }

    public static bool IsKey(string key) =>
        key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '[' or ']');
}
