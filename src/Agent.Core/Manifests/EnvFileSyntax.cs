namespace Agent.Core.Manifests;

/// <summary>KEY=VALUE files (envFrom, compose env_file): comments, blank lines, optional "export ", quoted values.</summary>
public static class EnvFileSyntax
{
    public static SortedDictionary<string, string> Parse(string text, out IReadOnlyList<(int Line, string Message)> errors)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var problems = new List<(int, string)>();
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.StartsWith("export ", StringComparison.Ordinal)) line = line[7..].TrimStart();
            var eq = line.IndexOf('=');
            var key = eq < 0 ? line : line[..eq].Trim();
            if (eq <= 0 || !IsName(key))
            {
                problems.Add((lineNumber, $"\"{raw.Trim()}\" is not KEY=VALUE"));
                continue;
            }
            var value = line[(eq + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' && value[^1] == '"' || value[0] == '\'' && value[^1] == '\''))
                value = value[1..^1];
            else if (value.IndexOf(" #", StringComparison.Ordinal) is var hash and >= 0)
                value = value[..hash].TrimEnd();
            result[key] = value;
        }
        errors = problems;
        return result;
    }

    public static bool IsName(string key) =>
        key.Length > 0 && (char.IsAsciiLetter(key[0]) || key[0] == '_') && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
}
