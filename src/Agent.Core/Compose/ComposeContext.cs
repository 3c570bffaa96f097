using Agent.Core.Manifests;
using Agent.Core.Model;

namespace Agent.Core.Compose;

/// <summary>What the stages share while one project loads: its name and directory, the variables for
/// interpolation, the files it may read, the declared networks and volumes, and the errors so far.</summary>
internal sealed class ComposeContext(
    string project,
    string projectDirectory,
    IReadOnlyList<string> configFiles,
    IReadOnlyDictionary<string, string> variables,
    IManifestFiles files,
    List<ManifestError> errors)
{
    public string Project { get; } = project;
    public string ProjectDirectory { get; } = projectDirectory;
    public IReadOnlyList<string> ConfigFiles { get; } = configFiles;
    public IManifestFiles Files { get; } = files;
    public List<ManifestError> Errors { get; } = errors;

    /// <summary>The services' env_file paths and the secret/config files (absolute), read or asked for: the running agent
    /// watches them, hidden ones too.</summary>
    public HashSet<string> InputFilesAsked { get; } = new(StringComparer.Ordinal);

    /// <summary>Declared top-level volumes: short name to engine name (null for external ones the agent must not create).</summary>
    public Dictionary<string, VolumeSpec?> Volumes { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> ExternalVolumes { get; } = new(StringComparer.Ordinal);

    /// <summary>Where each top-level volume is declared, so a policy violation points at its field.</summary>
    public Dictionary<string, ComposeCursor> VolumeDeclarations { get; } = new(StringComparer.Ordinal);

    /// <summary>Declared top-level networks by short name ("default" is always there), and the ones services use.</summary>
    public Dictionary<string, NetworkSpec> Networks { get; } = new(StringComparer.Ordinal) { ["default"] = new NetworkSpec($"{project}_default") };
    public HashSet<string> UsedNetworks { get; } = new(StringComparer.Ordinal);

    /// <summary>Services the active profiles leave out, with their own profiles: a use of one is "disabled", not "undefined".</summary>
    public Dictionary<string, IReadOnlyList<string>> DisabledServices { get; } = new(StringComparer.Ordinal);

    /// <summary>Why a service the active profiles leave out cannot be used, and how to enable it. Compose v2 refuses such a
    /// use too ("service a is required by b but is disabled. Can be enabled by profiles [x]"), never enabling one itself.</summary>
    public static string Disabled(string service, IReadOnlyList<string> profiles, string usedAs) =>
        $"service \"{service}\" is {usedAs} but is disabled by its profiles ({string.Join(", ", profiles)}): list one of them in the " +
        "ComposeProject manifest's profiles, or in COMPOSE_PROFILES (comma-separated, from the env files or environment)";

    /// <summary>Declared top-level secrets and configs: name to the absolute path of their file, or their text.</summary>
    public Dictionary<string, ComposeFileObject> Secrets { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, ComposeFileObject> Configs { get; } = new(StringComparer.Ordinal);

    public string? Lookup(string name) => variables.TryGetValue(name, out var v) ? v : null;

    /// <summary>Whether an env file (`.env`) defined the variable: its value is masked like an env_file value.</summary>
    public Func<string, bool> FromEnvFile { get; init; } = _ => false;

    public string Resolve(string relative) => Path.GetFullPath(Path.Combine(ProjectDirectory, relative));

    public bool IsUnderRoot(string path) => path == Files.Root || path.StartsWith(Files.Root.TrimEnd('/') + "/", StringComparison.Ordinal);

    /// <summary>A path as errors show it: relative to the manifests folder when inside it.</summary>
    public string Display(string path) => IsUnderRoot(path) ? Path.GetRelativePath(Files.Root, path) : path;

    /// <summary>The engine name of a named volume a service uses; an undeclared one is an error, as in Compose.</summary>
    public string? Volume(string name, ComposeCursor at)
    {
        if (ExternalVolumes.TryGetValue(name, out var external)) return external;
        if (Volumes.TryGetValue(name, out var volume)) return volume!.Name;
        at.Error($"volume \"{name}\" is not declared under the top-level volumes ({DeclaredList(Volumes.Keys.Concat(ExternalVolumes.Keys))})");
        return null;
    }

    /// <summary>"declared: a, b" for an undeclared name's error, or "none declared" (never an empty "declared: ").</summary>
    public static string DeclaredList(IEnumerable<string> names) =>
        names.Order(StringComparer.Ordinal).ToList() is { Count: > 0 } list ? $"declared: {string.Join(", ", list)}" : "none declared";

    /// <summary>The labels Compose v2 puts on a service's containers, except the per-replica ones (number, hash).</summary>
    public IEnumerable<(string Key, string Value)> ComposeLabels(string service, string image, IReadOnlyList<ServiceDependency> dependsOn)
    {
        yield return (ComposeLabelNames.Project, Project);
        yield return (ComposeLabelNames.Service, service);
        yield return (ComposeLabelNames.Oneoff, "False");
        yield return (ComposeLabelNames.WorkingDir, ProjectDirectory);
        yield return (ComposeLabelNames.ConfigFiles, string.Join(",", ConfigFiles));
        yield return (ComposeLabelNames.Image, image);
        yield return (ComposeLabelNames.Version, ComposeLabelNames.VersionValue);
        yield return (ComposeLabelNames.DependsOn, string.Join(",", dependsOn.Select(d => $"{d.Service}:{d.Condition switch
        {
            DependencyCondition.Healthy => "service_healthy",
            DependencyCondition.Completed => "service_completed_successfully",
            _ => "service_started",
        }}:{(d.Restart ? "true" : "false")}")));
    }
}

/// <summary>A top-level secret or config: a file to bind-mount (<c>file:</c>) or a text to write into the container
/// (<c>content:</c>, or a variable's value through <c>environment:</c>).</summary>
internal sealed record ComposeFileObject(string? Path, string? Content);
