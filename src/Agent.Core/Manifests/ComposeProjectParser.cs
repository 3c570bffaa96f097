using Agent.Core.Compose;
using Agent.Core.Model;

namespace Agent.Core.Manifests;

/// <summary>Reads the spec of a ComposeProject document and loads its compose files into the group model.</summary>
internal static class ComposeProjectParser
{
    public static readonly string[] SpecFields =
        ["files", "projectDirectory", "envFiles", "environment", "profiles", "phase", "dependsOn", "suspend", "prune", "pruneVolumes", "adopt"];

    /// <summary>The file names Compose looks for in a project folder, in its order of preference.</summary>
    public static readonly string[] DefaultFiles = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];
    public static readonly string[] OverrideFiles = ["compose.override.yaml", "compose.override.yml", "docker-compose.override.yaml", "docker-compose.override.yml"];

    /// <param name="read">The files the load asked for (includes, extends, env files), relative to the manifests folder.</param>
    public static ServiceGroup? Parse(YamlCursor spec, ObjectMetadata metadata, SourceLocation location, string manifestDir, IManifestFiles files, Security.SecurityPolicy policy,
        out IReadOnlyList<string> read)
    {
        read = [];
        var f = spec.Mapping(SpecFields);
        if (f is null) return null;
        var errorsBefore = spec.Context.Errors.Count;
        var settings = ServiceGroupParser.ReadSettings(f, metadata.Name);

        var composeFiles = new List<string>();
        if (!f.TryGetValue("files", out var filesCursor)) spec.Error("missing required field \"files\" (the compose files, relative to this manifest)");
        else
        {
            var items = filesCursor.Sequence() ?? [];
            foreach (var item in items)
                if (Readable(item, "compose file", manifestDir, files, policy) is { } path) composeFiles.Add(path);
            if (items.Count == 0 && filesCursor.Node is YamlDotNet.RepresentationModel.YamlSequenceNode) filesCursor.Error("list at least one compose file");
        }
        if (composeFiles.Count == 0) return null;

        var projectDir = f.TryGetValue("projectDirectory", out var pd) && pd.Scalar() is { } dir
            ? Path.GetFullPath(Path.Combine(manifestDir, dir))
            : Path.GetDirectoryName(composeFiles[0])!;
        IReadOnlyList<(string, bool)> envFiles = f.TryGetValue("envFiles", out var ef)
            ? (ef.Sequence() ?? []).Select(item => Readable(item, "env file", manifestDir, files, policy)).OfType<string>().Select(p => (p, true)).ToList()
            : [(Path.Combine(projectDir, ".env"), false)];
        var environment = f.TryGetValue("environment", out var env) ? env.StringMap() ?? [] : new SortedDictionary<string, string>();
        var profiles = f.TryGetValue("profiles", out var pr) ? pr.StringList() ?? [] : [];
        var adopt = f.TryGetValue("adopt", out var ad) && (ad.Bool() ?? false);
        if (spec.Context.Errors.Count > errorsBefore) return null;

        var request = new ComposeRequest(metadata.Name, composeFiles, projectDir, envFiles, environment, profiles);
        return Load(request, settings, metadata, location, files, policy, spec.Context.Errors, adopt, out read);
    }

    /// <summary>The absolute path an item of spec.files or spec.envFiles names, or null with an error at the item when the
    /// project may not read it (<see cref="ComposeFileRule"/>).</summary>
    private static string? Readable(YamlCursor item, string what, string manifestDir, IManifestFiles files, Security.SecurityPolicy policy)
    {
        if (item.Scalar() is not { } relative) return null;
        var path = Path.GetFullPath(Path.Combine(manifestDir, relative));
        if (ComposeFileRule.Problem(path, files, policy.Options) is not { } refused) return path;
        item.Error($"{what} \"{relative}\" {refused}");
        return null;
    }

    /// <summary>The compose files a document names, as far as spec.files can be read, even when the rest is broken.</summary>
    public static IReadOnlyList<string> ReferencedFiles(YamlCursor spec, string manifestDir, string root) =>
        spec.Node is YamlDotNet.RepresentationModel.YamlMappingNode map
        && map.Children.FirstOrDefault(c => c.Key is YamlDotNet.RepresentationModel.YamlScalarNode { Value: "files" }).Value is YamlDotNet.RepresentationModel.YamlSequenceNode list
            ? list.Children.OfType<YamlDotNet.RepresentationModel.YamlScalarNode>().Where(n => n.Value is not null)
                .Select(n => Path.GetRelativePath(root, Path.GetFullPath(Path.Combine(manifestDir, n.Value!)))).ToList()
            : [];

    /// <summary>A folder holding a compose file and no manifest of its own: a project named after the folder, as Compose names it.</summary>
    public static ServiceGroup? Detect(string folder, IReadOnlyCollection<string> fileNames, IManifestFiles files, Security.SecurityPolicy policy, List<ManifestError> errors,
        out IReadOnlyList<string> read)
    {
        read = [];
        var main = DefaultFiles.FirstOrDefault(fileNames.Contains);
        if (main is null) return null;
        var absolute = Path.Combine(files.Root, folder);
        var display = Path.Combine(folder, main);
        var name = ProjectName(Path.GetFileName(absolute.TrimEnd('/')));
        if (name is null)
        {
            errors.Add(new ManifestError(display, 1, 1, "", $"the folder name \"{Path.GetFileName(absolute)}\" gives no valid project name (lowercase letters, digits, '-' and '_', starting with a letter or digit)"));
            return null;
        }
        var composeFiles = new List<string> { Path.Combine(absolute, main) };
        if (OverrideFiles.FirstOrDefault(fileNames.Contains) is { } over) composeFiles.Add(Path.Combine(absolute, over));
        var request = new ComposeRequest(name, composeFiles, absolute, [(Path.Combine(absolute, ".env"), false)], new Dictionary<string, string>(), []);
        var metadata = new ObjectMetadata(name, new SortedDictionary<string, string>(), new SortedDictionary<string, string>());
        return Load(request, new ServiceGroupSpec(), metadata, new SourceLocation(display, 1, 1), files, policy, errors, adopt: false, out read);
    }

    /// <summary>Compose's normalisation of a folder name: lowercase, only [a-z0-9_-], starting with a letter or digit.</summary>
    public static string? ProjectName(string folder)
    {
        var chars = folder.ToLowerInvariant().Where(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-').SkipWhile(c => !char.IsAsciiLetterOrDigit(c)).ToArray();
        var name = new string(chars);
        return name.Length is > 0 and <= 63 ? name : null;
    }

    private static ServiceGroup? Load(ComposeRequest request, ServiceGroupSpec settings, ObjectMetadata metadata, SourceLocation location,
        IManifestFiles files, Security.SecurityPolicy policy, List<ManifestError> errors, bool adopt, out IReadOnlyList<string> read)
    {
        var result = ComposeLoader.Load(request, settings, files, policy);
        var root = files.Root.TrimEnd('/') + "/";
        read = result.Files.Where(f => f.StartsWith(root, StringComparison.Ordinal)).Select(f => Path.GetRelativePath(files.Root, f)).ToList();
        errors.AddRange(result.Errors);
        if (result.Spec is null) return null;
        return new ServiceGroup(metadata, result.Spec, location)
        {
            Compose = new ComposeOrigin(request.ProjectDirectory, request.Files, adopt)
            {
                InputFiles = result.Files.Concat(request.EnvFiles.Select(e => e.Path)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
                UnsetVariables = result.UnsetVariables,
            },
        };
    }
}
