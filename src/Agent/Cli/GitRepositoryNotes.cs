using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Sources;

namespace Agent.Cli;

/// <summary>What the one-shot commands say about each GitRepository: they never fetch, so a repository is evaluated at
/// the checkout a daemon left in the state dir, or not at all; either way the user is told, per repository.</summary>
public static class GitRepositoryNotes
{
    /// <summary>For `diff` and `apply --once`: one line per repository of the manifests.</summary>
    public static IEnumerable<string> Lines(IEnumerable<GitRepository> repositories, GitCheckouts checkouts) =>
        repositories.Select(r => checkouts.Current(r.Metadata.Name) is { } current
            ? $"GitRepository/{r.Metadata.Name}: evaluated at {GitDocuments.Revision(r.Spec.Ref, current)}, the checkout in {checkouts.Root} (not fetched now; `agent run` fetches)"
            : $"GitRepository/{r.Metadata.Name}: not evaluated: no checkout in {checkouts.Root} and this command does not fetch; its manifests are not compared or applied and nothing it brought is pruned (`agent run` fetches it)");

    /// <summary>For `validate`: its repositories' contents are not fetched or checked.</summary>
    public static IEnumerable<string> Lines(ManifestSet set) =>
        set.Objects.Values.OfType<GitRepository>().OrderBy(r => r.Metadata.Name, StringComparer.Ordinal)
            .Select(r => $"GitRepository/{r.Metadata.Name}: its contents were not fetched or validated (`agent run` validates each revision before applying it)");
}
