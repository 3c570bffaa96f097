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
/// Specification schema (<see cref="ComposeSchema"/>), apply its <c>include</c> (<see cref="ComposeIncludes"/>) and
/// <c>extends</c> (<see cref="ComposeExtends"/>), merge the files in order (<see cref="ComposeMerge"/>), and
/// normalise with the semantic checks (<see cref="ComposeNormalizer"/>).
/// </summary>
public static class ComposeLoader
{
    /// <param name="Files">Every file the load asked for (compose files, includes, extends, env files), absolute:
    /// none of them is an agent manifest.</param>
    /// <param name="UnsetVariables">Variables used without a default that are not set (each read as a blank string).</param>
    public sealed record Result(ServiceGroupSpec? Spec, ComposeNode? Merged, IReadOnlyList<ManifestError> Errors, IReadOnlyCollection<string> Files)
    {
        public IReadOnlyList<string> UnsetVariables { get; init; } = [];
    }

    public static Result Load(ComposeRequest request, ServiceGroupSpec settings, IManifestFiles files, Security.SecurityPolicy policy)
    {
        var errors = new List<ManifestError>();
        var sources = new ComposeSources(files, errors, policy.Options);
        var variables = sources.Variables(request.EnvFiles, request.Environment, null);
        string? Lookup(string name) => variables.TryGetValue(name, out var v) ? v : null;

        var includes = new ComposeIncludes(sources, request.Environment);
        var extends = new ComposeExtends(sources, Lookup);
        ComposeMapping? merged = null;
        var failed = false; // a file that cannot be read, parsed, validated, included or extended is not built into a model
        foreach (var file in request.Files)
        {
            var loaded = sources.Load(file, Lookup, null);
            if (loaded is null) { failed = true; continue; }
            var before = errors.Count;
            loaded = includes.Apply(loaded, request.ProjectDirectory, [file]);
            loaded = extends.Apply(loaded, file, request.ProjectDirectory);
            failed |= errors.Count > before;
            merged = merged is null ? loaded : (ComposeMapping)ComposeMerge.Merge(merged, loaded);
        }
        if (merged is null || failed) return new Result(null, merged, Shown(errors, sources), sources.Read) { UnsetVariables = [.. sources.UnsetVariables] };

        // Errors so far (interpolation, env files) do not hide the rest: the project is still normalised and admitted,
        // and what is found later at a field that already failed (it holds the text as written) is not reported twice.
        var earlier = errors.Count;
        var context = new ComposeContext(request.Project, request.ProjectDirectory, request.Files, variables, files, errors)
        {
            FromEnvFile = sources.EnvFileVariables.Contains,
        };
        var spec = ComposeNormalizer.Normalize(merged, context, settings, ProfilesOf(request, Lookup), policy);
        DropFollowUps(errors, earlier);
        return new Result(errors.Count == 0 ? spec : null, merged, Shown(errors, sources), [.. sources.Read, .. context.InputFilesAsked])
        {
            UnsetVariables = [.. sources.UnsetVariables],
        };
    }

    /// <summary>The profiles the manifest lists, else those COMPOSE_PROFILES names (comma-separated) in the project's
    /// <c>.env</c>, env files or <c>spec.environment</c>, as docker compose takes them without <c>--profile</c> (probe-31 F8).</summary>
    internal static IReadOnlyList<string> ProfilesOf(ComposeRequest request, Func<string, string?> lookup) =>
        request.Profiles.Count > 0 ? request.Profiles
        : (lookup("COMPOSE_PROFILES") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The errors as viewers may see them: none quotes the content of a file outside the manifests folder.</summary>
    private static List<ManifestError> Shown(List<ManifestError> errors, ComposeSources sources) =>
        errors.Select(e => ComposeFileRule.OutsideManifests(e) && !sources.OwnWords.Contains(e) ? ComposeFileRule.Redacted(e) : e).Distinct().ToList();

    /// <summary>Removes the errors after <paramref name="from"/> found at (or under) a field that already failed
    /// between <paramref name="since"/> and <paramref name="from"/>.</summary>
    internal static void DropFollowUps(List<ManifestError> errors, int from, int since = 0)
    {
        var failed = errors.Skip(since).Take(from - since).Select(e => e.Path).Where(p => p.Length > 0).ToList();
        if (failed.Count == 0) return;
        var later = errors.Skip(from).Where(e => !failed.Any(p => Overlaps(e.Path, p))).ToList();
        errors.RemoveRange(from, errors.Count - from);
        errors.AddRange(later);
    }

    private static bool Overlaps(string path, string failed) =>
        path == failed || Under(path, failed);

    private static bool Under(string path, string parent) =>
        path.Length > parent.Length && path.StartsWith(parent, StringComparison.Ordinal) && path[parent.Length] is '.' or '[';
}
