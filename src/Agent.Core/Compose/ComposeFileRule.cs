using Agent.Core.Manifests;
using Agent.Core.Security;

namespace Agent.Core.Compose;

/// <summary>The one rule for every file a compose project reads (compose files, `include` and `extends` files, env files,
/// secret and config files; probe-15d H2): the agent reads them as root, so each must resolve, after every symlink,
/// inside the manifests folder (a repository's checkout for git-sourced projects) or under
/// Agent:Security:AllowedFileRoots, and never into what a bind may not reach (system paths, credential folders, the
/// agent's own secrets and state).</summary>
internal static class ComposeFileRule
{
    /// <summary>Null when the file may be read, else why not, worded to follow the path as the user wrote it.</summary>
    public static string? Problem(string absolutePath, IManifestFiles files, SecurityOptions options) =>
        files.Confinement(absolutePath)
        ?? files.WritableByContainers(absolutePath)
        ?? HostPathRules.EnvFileProblem(options, files, absolutePath)
        ?? (files.ConfinedTo is null ? FileConfinement.Problem(absolutePath, files, options.AllowedFileRoots) : null);

    /// <summary>True for a path shown as absolute: errors show files inside the manifests folder relative to it.</summary>
    public static bool OutsideManifests(ManifestError error) => error.File.StartsWith('/');

    /// <summary>An error found in the content of a file outside the manifests folder (only one under AllowedFileRoots can
    /// be read): its place is kept, its field path and text (which may quote the file's keys and values) are not.</summary>
    public static ManifestError Redacted(ManifestError error) =>
        error with { Path = "", Message = "this file does not load as compose here (its text is not shown: the file is outside the manifests folder)" };
}
