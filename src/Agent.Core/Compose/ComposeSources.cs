using Agent.Core.Manifests;
using Agent.Core.Model;

namespace Agent.Core.Compose;

/// <summary>The compose files one project load reads, each through stages 1-3 (parse, interpolate, validate). It
/// records every file it was asked for, read or not, so that none of them is ever taken for an agent manifest; a file
/// that is missing or cannot be read is an error at the place that named it, which holds the project as it runs.</summary>
internal sealed class ComposeSources(IManifestFiles files, List<ManifestError> errors, Security.SecurityOptions security)
{
    private readonly HashSet<string> read = new(StringComparer.Ordinal);

    public IManifestFiles Files { get; } = files;
    public List<ManifestError> Errors { get; } = errors;

    /// <summary>Every file asked for, as absolute paths.</summary>
    public IReadOnlyCollection<string> Read => read;

    /// <summary>A path as errors show it: relative to the manifests folder when inside it.</summary>
    public string Display(string path) =>
        path.StartsWith(Files.Root.TrimEnd('/') + "/", StringComparison.Ordinal) ? Path.GetRelativePath(Files.Root, path) : path;

    /// <summary>The text of a file, or null with an error at <paramref name="namedAt"/> (or the file itself).</summary>
    public string? Text(string path, string what, ComposeCursor? namedAt, bool mayBeEmpty = false)
    {
        read.Add(path);
        string? text;
        string problem;
        if (ComposeFileRule.Problem(path, Files, security) is { } refused)
        {
            text = null;
            problem = refused;
        }
        else try
        {
            text = Files.ReadText(path);
            problem = Files.Confinement(path) ?? Files.Unreadable(path) ?? "not found";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            text = null;
            problem = $"cannot be read ({e.Message})";
        }
        // A blank file is one an editor or a copy may still be writing: never read as "defines nothing".
        if (!mayBeEmpty && text is not null && string.IsNullOrWhiteSpace(text.TrimStart('\uFEFF'))) problem = "is empty (an editor or a copy may still be writing it)";
        else if (text is not null) return text;
        Report(path, what, problem, namedAt);
        return null;
    }

    /// <summary>Errors in the agent's own words about a file (it cannot be read, is refused, is empty): shown as they are,
    /// also for a file outside the manifests folder, whose content errors are redacted.</summary>
    public HashSet<ManifestError> OwnWords { get; } = [];

    private void Report(string path, string what, string problem, ComposeCursor? namedAt)
    {
        if (namedAt is not null) { namedAt.Error($"{what} \"{Display(path)}\" {problem}"); return; }
        var error = new ManifestError(Display(path), 1, 1, "", $"{what} {problem}");
        Errors.Add(error);
        OwnWords.Add(error);
    }

    /// <summary>One compose file parsed, interpolated and validated against the Compose Specification schema.</summary>
    public ComposeMapping? Load(string path, Func<string, string?> lookup, ComposeCursor? namedAt)
    {
        var text = Text(path, "compose file", namedAt);
        if (text is null) return null;
        var parsed = ComposeYaml.Parse(Display(path), text, Errors);
        if (parsed is null) return null;
        if (parsed is not ComposeMapping)
        {
            Errors.Add(new ManifestError(parsed.At.File, parsed.At.Line, parsed.At.Column, "", "a compose file is a mapping (services:, networks:, volumes:, ...)"));
            return null;
        }
        // An interpolation error does not stop the file (what it hides would only be found later); a schema error
        // does, except at a field whose interpolation already failed (it holds the text as written).
        var before = Errors.Count;
        var interpolated = Interpolation.Apply(parsed, lookup, "", Errors, EnvFileVariables.Contains, name => UnsetVariables.Add(name));
        var validated = Errors.Count;
        ComposeSchema.Validate(interpolated, Errors);
        ComposeLoader.DropFollowUps(Errors, validated, before);
        return Errors.Count == validated ? (ComposeMapping)interpolated : null;
    }

    /// <summary>The variables the files use without a default that are not set: each reads as a blank string, as docker
    /// compose warns ("The \"X\" variable is not set. Defaulting to a blank string.").</summary>
    public SortedSet<string> UnsetVariables { get; } = new(StringComparer.Ordinal);

    /// <summary>The names of variables an env file defined (`.env`, an include's env_file), not set over by an environment.</summary>
    public HashSet<string> EnvFileVariables { get; } = new(StringComparer.Ordinal);

    /// <summary>The variables for interpolation: env files in order, then <paramref name="environment"/> over them.</summary>
    public Dictionary<string, string> Variables(IEnumerable<(string Path, bool Required)> envFiles, IReadOnlyDictionary<string, string> environment, ComposeCursor? namedAt)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, required) in envFiles)
        {
            if (!required && !Files.Exists(path)) continue;
            var text = Text(path, "env file", namedAt, mayBeEmpty: true);
            if (text is null) continue;
            var parsed = DotEnv.Parse(text, name => environment.TryGetValue(name, out var v) ? v : variables.GetValueOrDefault(name));
            foreach (var (line, message) in parsed.Errors) Errors.Add(new ManifestError(Display(path), line, 1, "", message));
            foreach (var (key, value) in parsed.Values) variables[key] = value;
            EnvFileVariables.UnionWith(parsed.Values.Select(p => p.Key).Where(k => !environment.ContainsKey(k)));
        }
        foreach (var (key, value) in environment) variables[key] = value;
        return variables;
    }
}
