using Agent.Core.Manifests;
using Agent.Core.Model;

namespace Agent.Core.Compose;

/// <summary>What a ComposeProject asks to load; paths are absolute.</summary>
public sealed record ComposeRequest(
    string Project,
    IReadOnlyList<string> Files,
    string ProjectDirectory,
    IReadOnlyList<(string Path, bool Required)> EnvFiles,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<string> Profiles);

/// <summary>
/// Loads a compose project into the group model, stage by stage as compose-go does: parse each file
/// (<see cref="ComposeYaml"/>), interpolate it (<see cref="Interpolation"/>), validate it against the Compose
/// Specification schema (<see cref="ComposeSchema"/>), merge the files in order (<see cref="ComposeMerge"/>), and
/// normalise with the semantic checks (<see cref="ComposeNormalizer"/>).
/// </summary>
public static class ComposeLoader
{
    public sealed record Result(ServiceGroupSpec? Spec, ComposeNode? Merged, IReadOnlyList<ManifestError> Errors);

    public static Result Load(ComposeRequest request, ServiceGroupSpec settings, IManifestFiles files, Security.SecurityPolicy policy)
    {
        var errors = new List<ManifestError>();
        string Display(string path) => path.StartsWith(files.Root.TrimEnd('/') + "/", StringComparison.Ordinal) ? Path.GetRelativePath(files.Root, path) : path;

        var variables = ReadVariables(request, files, errors, Display);
        string? Lookup(string name) => variables.TryGetValue(name, out var v) ? v : null;

        ComposeNode? merged = null;
        foreach (var file in request.Files)
        {
            var text = files.ReadText(file);
            if (text is null)
            {
                errors.Add(new ManifestError(Display(file), 1, 1, "", "compose file not found"));
                continue;
            }
            var parsed = ComposeYaml.Parse(Display(file), text, errors);
            if (parsed is null) continue;
            if (parsed is not ComposeMapping)
            {
                errors.Add(new ManifestError(parsed.At.File, parsed.At.Line, parsed.At.Column, "", "a compose file is a mapping (services:, networks:, volumes:, ...)"));
                continue;
            }
            var interpolated = Interpolation.Apply(parsed, Lookup, "", errors);
            ComposeSchema.Validate(interpolated, errors);
            merged = merged is null ? interpolated : ComposeMerge.Merge(merged, interpolated);
        }
        if (merged is null) return new Result(null, merged, errors);

        // Errors so far (interpolation, env files) do not hide the rest: the project is still normalised and admitted,
        // and what is found later at a field that already failed (it holds the text as written) is not reported twice.
        var earlier = errors.Count;
        var context = new ComposeContext(request.Project, request.ProjectDirectory, request.Files, variables, files, errors);
        var spec = ComposeNormalizer.Normalize((ComposeMapping)merged, context, settings, request.Profiles, policy);
        var failed = errors.Take(earlier).Select(e => e.Path).Where(p => p.Length > 0).ToList();
        if (failed.Count > 0)
        {
            var later = errors.Skip(earlier).Where(e => !failed.Any(p => Overlaps(e.Path, p))).ToList();
            errors.RemoveRange(earlier, errors.Count - earlier);
            errors.AddRange(later);
        }
        return new Result(errors.Count == 0 ? spec : null, merged, errors);
    }

    private static bool Overlaps(string path, string failed) =>
        path == failed || Under(path, failed);

    private static bool Under(string path, string parent) =>
        path.Length > parent.Length && path.StartsWith(parent, StringComparison.Ordinal) && path[parent.Length] is '.' or '[';

    /// <summary>The variables for interpolation: the env files in order, then the manifest's environment over them.</summary>
    private static Dictionary<string, string> ReadVariables(ComposeRequest request, IManifestFiles files, List<ManifestError> errors, Func<string, string> display)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, required) in request.EnvFiles)
        {
            var text = files.ReadText(path);
            if (text is null)
            {
                if (required) errors.Add(new ManifestError(display(path), 1, 1, "", "env file not found"));
                continue;
            }
            var parsed = DotEnv.Parse(text, name => request.Environment.TryGetValue(name, out var v) ? v : variables.GetValueOrDefault(name));
            foreach (var (line, message) in parsed.Errors) errors.Add(new ManifestError(display(path), line, 1, "", message));
            foreach (var (key, value) in parsed.Values) variables[key] = value;
        }
        foreach (var (key, value) in request.Environment) variables[key] = value;
        return variables;
    }
}
