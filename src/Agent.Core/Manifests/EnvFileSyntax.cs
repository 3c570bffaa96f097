using Agent.Core.Compose;

namespace Agent.Core.Manifests;

/// <summary>KEY=VALUE files for ServiceGroup envFrom: the same dotenv rules as compose (<see cref="DotEnv"/>).</summary>
public static class EnvFileSyntax
{
    public static SortedDictionary<string, string> Parse(string text, out IReadOnlyList<(int Line, string Message)> errors)
    {
        var parsed = DotEnv.Parse(text);
        errors = parsed.Errors;
        return new SortedDictionary<string, string>(parsed.Values.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal);
    }

    public static bool IsName(string key) =>
        key.Length > 0 && (char.IsAsciiLetter(key[0]) || key[0] == '_') && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
}
