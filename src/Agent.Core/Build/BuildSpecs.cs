using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;

namespace Agent.Core.Build;

/// <summary>The fields of a <c>build:</c> as written (compose or ServiceGroup spelling), paths not yet resolved.</summary>
public sealed record BuildFields
{
    /// <summary>Null: no context folder, the inline Dockerfile alone (a ServiceGroup's <c>dockerfileInline</c> without <c>context</c>).</summary>
    public string? Context { get; init; } = ".";
    public string? Dockerfile { get; init; }
    public string? DockerfileInline { get; init; }
    public IReadOnlyDictionary<string, string> Args { get; init; } = new Dictionary<string, string>();
    /// <summary>The args whose values came from an env file (see <see cref="BuildSpec.SecretArgs"/>).</summary>
    public IReadOnlySet<string> SecretArgs { get; init; } = new HashSet<string>(StringComparer.Ordinal);
    public string? Target { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> CacheFrom { get; init; } = [];
}

/// <summary>Which written field a problem of a <c>build:</c> concerns.</summary>
public enum BuildField { Context, Dockerfile, DockerfileInline }

/// <summary>
/// Turns the written <c>build:</c> of a compose service or a ServiceGroup service into a <see cref="BuildSpec"/>, the
/// same way for both: the context relative to <c>baseFolder</c> (the compose file's or the manifest's folder), confined
/// to the manifests folder or Agent:Security:AllowedFileRoots after every symlink is resolved; no remote context; the
/// Dockerfile inside the context; the context's content hash read (size-limited) so it joins the spec hash.
/// </summary>
public static class BuildSpecs
{
    /// <summary>The image a build is tagged with when the service names none, as Compose v2 names it.</summary>
    public static string DefaultImage(string project, string service) => $"{project}-{service}".ToLowerInvariant();

    /// <summary>The spec, or null after reporting each problem through <paramref name="error"/>.</summary>
    public static BuildSpec? Resolve(BuildFields fields, string baseFolder, IManifestFiles files, SecurityOptions options, Action<BuildField, string> error)
    {
        if (fields.Context is null) return ResolveInline(fields, options, error);
        var written = fields.Context;
        if (IsRemote(written))
        {
            error(BuildField.Context, $"\"{written}\" is a remote build context (git or http URL): not supported; check the repository out (a GitRepository source) and name a folder in it");
            return null;
        }
        if (written.Length == 0 || ControlCharacters.In(written))
        {
            error(BuildField.Context, "the build context must be a folder path");
            return null;
        }
        var context = HostPath.Normalize(Path.GetFullPath(Path.Combine(baseFolder, written)));
        // A git repository's context is judged like its other files (compose files, env files, binds): anywhere inside
        // the checkout, also outside spec.path, and the error names no host path (probe-17 F8).
        var problem = files.ConfinedTo is not null
            ? files.Confinement(context) ?? files.WritableByContainers(context)
            : FileConfinement.Problem(context, files, options.AllowedFileRoots, rootItself: true);
        if (problem is { } outside)
        {
            error(BuildField.Context, $"build context \"{written}\" {outside}");
            return null;
        }

        if (fields.Dockerfile is not null && fields.DockerfileInline is not null)
        {
            error(BuildField.DockerfileInline, "dockerfile and an inline Dockerfile cannot be used together");
            return null;
        }
        var dockerfile = fields.Dockerfile ?? "Dockerfile";
        if (fields.DockerfileInline is null)
        {
            var normalized = dockerfile.Replace('\\', '/');
            if (normalized.Length == 0 || normalized.StartsWith('/') || normalized.Split('/').Contains("..") || ControlCharacters.In(normalized))
            {
                error(BuildField.Dockerfile, $"\"{dockerfile}\" must be a path inside the build context");
                return null;
            }
            dockerfile = normalized.StartsWith("./", StringComparison.Ordinal) ? normalized[2..] : normalized;
        }

        if (!files.Exists(context))
        {
            error(BuildField.Context, $"build context \"{written}\" not found ({Shown(context, files)})");
            return null;
        }
        if (fields.DockerfileInline is null && !files.Exists(Path.Combine(context, dockerfile)))
        {
            error(fields.Dockerfile is null ? BuildField.Context : BuildField.Dockerfile, $"no {dockerfile} in the build context {Shown(context, files)}");
            return null;
        }
        if (fields.DockerfileInline is null && LinkedDockerfile(context, dockerfile, files) is { } linked)
        {
            error(fields.Dockerfile is null ? BuildField.Context : BuildField.Dockerfile, linked);
            return null;
        }
        if (RefusedBuild(fields, context, dockerfile, files, options) is { } refused)
        {
            error(fields.DockerfileInline is not null ? BuildField.DockerfileInline : fields.Dockerfile is not null ? BuildField.Dockerfile : BuildField.Context, refused);
            return null;
        }
        var digest = files.DigestBuildContext(context, dockerfile, fields.DockerfileInline, options.MaxBuildContextBytes);
        if (digest.Hash is null)
        {
            error(BuildField.Context, digest.Problem ?? "the build context cannot be read");
            return null;
        }
        return Spec(fields, context, fields.DockerfileInline is null ? dockerfile : BuildSpec.InlineDockerfileName, digest.Hash);
    }

    /// <summary>The build sends the context as it is on disk and refuses a Dockerfile that is a link or lies under a
    /// linked folder (the builder would read what the link points to): said here already, where the manifest is read
    /// (and by `agent validate`), rather than at the build.</summary>
    private static string? LinkedDockerfile(string context, string dockerfile, IManifestFiles files)
    {
        var asWritten = HostPath.Normalize(Path.GetFullPath(Path.Combine(files.ResolveLinks(context), dockerfile)));
        return files.ResolveLinks(Path.Combine(context, dockerfile)) == asWritten ? null
            : $"{dockerfile} in the build context is a symbolic link or lies under one: the build refuses it (the builder would read what it points to); put the Dockerfile itself there";
    }

    /// <summary>An inline Dockerfile without a context: the builder gets the Dockerfile alone (as an API build's JSON form
    /// does), so no file anywhere changes its hash, and no folder's files (env files, a FIFO) are read or sent.</summary>
    private static BuildSpec? ResolveInline(BuildFields fields, SecurityOptions options, Action<BuildField, string> error)
    {
        if (fields.DockerfileInline is null)
        {
            error(BuildField.Context, "the build context must be a folder path");
            return null;
        }
        if (fields.Dockerfile is not null)
        {
            error(BuildField.DockerfileInline, "dockerfile and an inline Dockerfile cannot be used together");
            return null;
        }
        if (RefusedDockerfile(fields.DockerfileInline, "the inline Dockerfile", fields.Args, options) is { } refused)
        {
            error(BuildField.DockerfileInline, refused);
            return null;
        }
        return Spec(fields, null, BuildSpec.InlineDockerfileName, InlineOnlyHash(fields.DockerfileInline));
    }

    /// <summary>What a context of the inline Dockerfile alone hashes to (BuildContext.Hash of an empty folder).</summary>
    public static string InlineOnlyHash(string dockerfileInline) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(BuildSpec.InlineDockerfileName + "\0" + dockerfileInline)));

    private static BuildSpec Spec(BuildFields fields, string? context, string dockerfile, string digest) => new()
    {
        Context = context,
        Dockerfile = dockerfile,
        DockerfileInline = fields.DockerfileInline,
        Args = new SortedDictionary<string, string>(fields.Args.ToDictionary(), StringComparer.Ordinal),
        SecretArgs = fields.SecretArgs.Where(fields.Args.ContainsKey).ToHashSet(StringComparer.Ordinal),
        Target = fields.Target,
        Labels = new SortedDictionary<string, string>(fields.Labels.ToDictionary(), StringComparer.Ordinal),
        ContextDigest = digest[..Math.Min(16, digest.Length)],
        CacheFrom = fields.CacheFrom.Count == 0 ? null : fields.CacheFrom,
    };

    /// <summary>The builder pulls the images a Dockerfile builds from when they are missing (they pass the image allowlist
    /// like a service's image) and fetches ADD URLs itself (refused).</summary>
    private static string? RefusedBuild(BuildFields fields, string context, string dockerfile, IManifestFiles files, SecurityOptions options)
    {
        if (options.AllowedImages.Count > 0 && fields.CacheFrom.FirstOrDefault(i => !SecurityPolicy.AllowsImage(options, i)) is { } cache)
            return $"cache_from image \"{cache}\" is not in the allowed list ({string.Join(", ", options.AllowedImages)}, Agent:Security:AllowedImages)";
        var path = Path.Combine(context, dockerfile);
        // A Dockerfile the agent cannot read (over the size limit, not a regular file) is not built unread: the engine
        // would read it whole and nothing would have judged its ADD lines.
        var text = fields.DockerfileInline ?? files.ReadText(path);
        if (text is null && files.Unreadable(path) is { } why) return $"{dockerfile} {why}";
        text ??= "";
        return RefusedDockerfile(text, fields.DockerfileInline is null ? dockerfile : "the inline Dockerfile", fields.Args, options);
    }

    /// <summary>Why the Dockerfile <paramref name="text"/> may not be built (an ADD of a URL, a base image outside the
    /// allowlist), naming <paramref name="name"/> and the line; null when it may. <paramref name="baseImages"/> answers
    /// what a FROM image brings (environment, ONBUILD triggers) when an engine is at hand.</summary>
    public static string? RefusedDockerfile(string text, string name, IReadOnlyDictionary<string, string> args, SecurityOptions options,
        Func<string, BaseImageConfig?>? baseImages = null) =>
        UnknownInstruction(text, name) ?? RefusedRemoteAdd(text, name, args, options, baseImages) ?? RefusedBaseImage(text, name, args, options);

    /// <summary>The instructions the engine's builder knows.</summary>
    private static readonly HashSet<string> Known = ["ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
        "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"];

    /// <summary>A line the builder would refuse to parse, said before the build starts (as `docker build` says it before
    /// any output) instead of as the stream's last line after a 200 (probe-62).</summary>
    private static string? UnknownInstruction(string text, string name) =>
        DockerfileLines.Instructions(text).FirstOrDefault(i => !Known.Contains(i.Keyword)) is { } unknown
            ? $"{name} line {unknown.Line}: unknown instruction {unknown.Keyword} (the builder knows {string.Join(", ", Known.Order(StringComparer.Ordinal))})"
            : null;

    private static string? RefusedRemoteAdd(string text, string name, IReadOnlyDictionary<string, string> args, SecurityOptions options,
        Func<string, BaseImageConfig?>? baseImages) =>
        !options.AllowRemoteBuildSources && RemoteAdds.Find(text, args, baseImages) is [var add, ..]
            ? $"{name} line {add.Line}: ADD of a URL is not allowed ({Described(add)}): the engine fetches it from the host's own network (its loopback, " +
              "the cloud metadata address), outside every container's network; put the file in the build context and COPY it " +
              "(or allow with Agent:Security:AllowRemoteBuildSources)"
            : null;

    private static string Described(RemoteAdd add) => add.Origin switch
    {
        RemoteAddOrigin.Unresolved => $"\"{add.Source}\" starts with a variable that is not known before the build and could make it a URL",
        RemoteAddOrigin.OnBuild => $"ONBUILD ADD \"{add.Source}\": every build FROM this image would fetch it",
        RemoteAddOrigin.BaseImageTrigger => $"\"{add.Source}\" in an ONBUILD trigger of the FROM image \"{add.Image}\", which this build runs",
        _ => $"\"{add.Source}\"",
    };

    /// <summary>The first image the Dockerfile <paramref name="text"/> builds from (FROM, COPY --from=) that the image
    /// allowlist refuses, as a message naming <paramref name="name"/> and the line; null when all pass.</summary>
    private static string? RefusedBaseImage(string text, string name, IReadOnlyDictionary<string, string> args, SecurityOptions options) =>
        options.AllowedImages.Count > 0 && DockerfileImages.Of(text, args).FirstOrDefault(i => !SecurityPolicy.AllowsImage(options, i.Image)) is { } image
            ? $"{name} line {image.Line}: {image.Instruction} image \"{image.Image}\" is not in the allowed list ({string.Join(", ", options.AllowedImages)}, Agent:Security:AllowedImages)"
            : null;

    /// <summary>The hash of everything a build depends on (context content, Dockerfile, args, target, image labels): the
    /// built image carries it (label agent.build-hash), and an image carrying it is not built again.</summary>
    public static string Hash(BuildSpec build) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            System.Text.Json.JsonSerializer.Serialize(build with { Context = "" }, Json.CoreJsonContext.Default.BuildSpec))))[..16];

    /// <summary>A git or http(s) context, as Compose recognises them.</summary>
    public static bool IsRemote(string context) =>
        context.Contains("://", StringComparison.Ordinal) || context.StartsWith("git@", StringComparison.Ordinal)
        || context.StartsWith("github.com/", StringComparison.Ordinal);

    private static string Shown(string path, IManifestFiles files) =>
        HostPath.IsUnder(path, HostPath.Normalize(files.Root)) ? Path.GetRelativePath(files.Root, path) : path;
}
