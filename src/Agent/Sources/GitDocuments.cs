using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Hosting;
using Microsoft.Extensions.Options;

namespace Agent.Sources;

/// <summary>
/// The manifests of GitRepositories' current checkouts, read exactly like the folder (compose stacks too) and named
/// <c>GitRepository/NAME/PATH/FILE</c> in the whole desired state. A repository without a checkout yet holds the
/// objects it brought before (a failed fetch is never a deletion).
/// </summary>
public sealed class GitDocuments(GitCheckouts checkouts, SecurityPolicy policy, IOptions<AgentOptions> options, GitBindStore? bindStore = null)
{
    private readonly GitBindStore binds = bindStore ?? new GitBindStore(options, checkouts: checkouts);

    public const string Folder = GitRepository.KindName;
    private readonly Dictionary<string, (string Key, IReadOnlyList<ManifestDocument> Documents)> cache = [];
    private readonly Lock sync = new();

    /// <summary>How the files of a repository are named: <c>GitRepository/NAME/</c>.</summary>
    public static string Prefix(string repository) => $"{Folder}/{repository}/";

    /// <summary>The repository a file of the desired state comes from, or null for the folder's own files.</summary>
    public static string? RepositoryOf(string file)
    {
        if (!file.StartsWith(Folder + "/", StringComparison.Ordinal)) return null;
        var rest = file[(Folder.Length + 1)..];
        var slash = rest.IndexOf('/');
        return slash < 0 ? rest : rest[..slash];
    }

    /// <summary>Flux's revision form: <c>main@sha1:0a1b…</c>, or <c>sha1:0a1b…</c> for a pinned commit (no ref name).</summary>
    public static string Revision(GitRef gitRef, string commit, string? tag = null) =>
        tag is null && gitRef.Commit is not null ? $"sha1:{commit}" : $"{tag ?? gitRef.Name}@sha1:{commit}";

    public static string Revision(GitRef gitRef, GitCheckout checkout) => Revision(gitRef, checkout.Commit, checkout.Tag);

    /// <summary>The applied revision to show after a failed sync: the one shown before while it names the commit still
    /// checked out (it says the ref that commit was fetched from: after spec.ref changed to a branch that does not exist,
    /// <c>main@sha1:…</c> stays, never <c>nosuchbranch@sha1:…</c>, probe-17 F9); else the checkout under
    /// <paramref name="gitRef"/>; null without a checkout.</summary>
    public static string? AppliedAfterFailure(string? shown, GitRef gitRef, GitCheckout? current) =>
        current is null ? null
        : shown is not null && (shown == $"sha1:{current.Commit}" || shown.EndsWith($"@sha1:{current.Commit}", StringComparison.Ordinal)) ? shown
        : Revision(gitRef, current);

    /// <summary>Every repository's documents at its current checkout, and the revision each repository is at.</summary>
    /// <param name="brought">Whether objects the repository brought are known (then a missing checkout holds them).</param>
    public (IReadOnlyList<ManifestDocument> Documents, IReadOnlyDictionary<string, string> Revisions) Read(IEnumerable<GitRepository> repositories,
        IEnumerable<string>? held = null, Func<string, bool>? brought = null)
    {
        var documents = new List<ManifestDocument>();
        foreach (var name in held ?? [])
            documents.Add(ManifestFolder.FileError($"{Folder}/{name}",
                $"the manifest of GitRepository {name} does not load or cannot be read; the objects it brought are kept as they are"));
        var revisions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var repo in repositories)
        {
            if (checkouts.Current(repo.Metadata.Name) is not { } checkout)
            {
                // Nothing fetched yet and nothing brought before (a first start): nothing to hold, no error to show.
                if (brought is not null && !brought(repo.Metadata.Name)) continue;
                documents.Add(ManifestFolder.FileError($"{Folder}/{repo.Metadata.Name}", checkouts.CurrentProblem(repo.Metadata.Name) is { } problem
                    ? $"GitRepository {repo.Metadata.Name}: {problem}, so it is not read; the objects it brought are kept as they are until the next sync checks the revision out again"
                    : $"GitRepository {repo.Metadata.Name} has no revision checked out yet (see its status); the objects it brought are kept as they are"));
                continue;
            }
            var read = Read(repo, checkout);
            if (checkouts.Current(repo.Metadata.Name)?.Commit is { } now && now != checkout.Commit)
            {
                checkout = checkouts.Current(repo.Metadata.Name)!; // switched while read: read the new revision whole
                read = Read(repo, checkout);
            }
            documents.AddRange(read);
            revisions[repo.Metadata.Name] = Revision(repo.Spec.Ref, checkout);
        }
        return (documents, revisions);
    }

    /// <summary>The documents of one checkout (a candidate revision too), each file named in the whole desired state.</summary>
    public IReadOnlyList<ManifestDocument> Read(GitRepository repo, GitCheckout checkout)
    {
        var name = repo.Metadata.Name;
        var key = $"{checkout.Folder}\0{checkout.Commit}\0{repo.Spec.Path}";
        lock (sync)
            if (cache.TryGetValue(name, out var cached) && cached.Key == key) return cached.Documents;

        if (!checkouts.Intact(checkout))
            // Not cached: read again once the next sync has checked the commit out anew.
            return [ManifestFolder.FileError($"{Folder}/{name}",
                $"the checkout of revision {Revision(repo.Spec.Ref, checkout)} in the state dir does not match its commit (a file is missing or changed); " +
                "the objects it brought are kept as they are until the next sync checks it out again")];
        var root = repo.Spec.Path.Length == 0 ? checkout.Folder : Path.Combine(checkout.Folder, repo.Spec.Path);
        var folder = new ManifestFolder(root, options.Value.Limits, options.Value.MaxManifestFileBytes) { ConfinedTo = checkout.Folder, SkippedLinks = checkout.SkippedLinks, Unfetched = checkout.Unfetched, SecretFiles = options.Value.SecretFiles() };
        var snapshot = folder.Read();
        IReadOnlyList<ManifestDocument> documents;
        if (!snapshot.IsComplete)
            // Held under the repository's name (what it brought stays as it is), reported at spec.path in its manifest.
            documents = [new ManifestDocument(new SourceLocation($"{Folder}/{name}", 1, 1), null, null, [PathNotFound(repo, checkout.Commit, checkout.Tag)])];
        else
        {
            var prefix = Prefix(name) + (repo.Spec.Path.Length == 0 ? "" : repo.Spec.Path + "/");
            var roots = new[] { checkout.Folder, folder.ResolveLinks(checkout.Folder) }.Select(r => r.TrimEnd('/')).Distinct().ToArray();
            documents = [.. folder.Parse(snapshot, policy).Select(d => Localize(NoNestedRepository(DocumentPrefix.Add(prefix, d)), name, roots)),
                .. SkippedManifests(repo, checkout)];
        }
        lock (sync) cache[name] = (key, documents);
        return documents;
    }

    /// <summary>A manifest file (*.yaml, *.yml under spec.path) that is a link leaving the repository: not read, and an
    /// error on that file (what it would define is unknown); other such links are simply not checked out.</summary>
    private static IEnumerable<ManifestDocument> SkippedManifests(GitRepository repo, GitCheckout checkout) =>
        checkout.SkippedLinks
            .Where(l => (repo.Spec.Path.Length == 0 || l.Path.StartsWith(repo.Spec.Path + "/", StringComparison.Ordinal))
                        && (l.Path.EndsWith(".yaml", StringComparison.Ordinal) || l.Path.EndsWith(".yml", StringComparison.Ordinal))
                        && !l.Path.Split('/').Any(p => p.StartsWith('.')))
            .Select(l => ManifestFolder.FileError(Prefix(repo.Metadata.Name) + l.Path,
                $"a symbolic link that leaves the repository (to {l.Target}); it is not checked out, so not read"));

    /// <summary>The bind sources of the documents last read per repository (a candidate revision's too): copies in the
    /// <see cref="GitBindStore"/> these name are in use even before the desired state is read again.</summary>
    public IReadOnlyList<string> BindSources()
    {
        lock (sync)
            return cache.Values.SelectMany(c => c.Documents).Select(d => d.Object).OfType<ServiceGroup>()
                .SelectMany(g => g.Spec.Services).SelectMany(s => s.Container.Mounts).Select(m => m.Source).OfType<string>().ToList();
    }

    /// <summary>Drops what was read from a repository that is no longer in the manifests.</summary>
    public void Forget(string repository)
    {
        lock (sync) cache.Remove(repository);
    }

    /// <summary>Whether a checked-out tree has the folder spec.path names.</summary>
    public static bool HasPath(GitRepository repo, string tree) =>
        repo.Spec.Path.Length == 0 || Directory.Exists(Path.Combine(tree, repo.Spec.Path));

    /// <summary>The error for a revision that lacks spec.path, at spec.path in the GitRepository's manifest.</summary>
    public static ManifestError PathNotFound(GitRepository repo, string commit, string? tag = null)
    {
        var at = repo.Spec.PathSource ?? repo.Source;
        return new ManifestError(at.File, at.Line, at.Column, "spec.path",
            $"\"{repo.Spec.Path}\" is not a folder in revision {Revision(repo.Spec.Ref, commit, tag)} of GitRepository {repo.Metadata.Name}; nothing is applied from it");
    }

    public const string CommandLineFile = "--git-url";

    /// <summary>The GitRepository `agent run --git-url URL [--git-ref] [--git-path] [--git-interval]` stands for, parsed
    /// like a manifest (so a bad flag is an error naming the field), or nothing when no --git-url was given.</summary>
    public IReadOnlyList<ManifestDocument> CommandLine(IManifestFiles files)
    {
        var g = options.Value.Git;
        if (string.IsNullOrWhiteSpace(g.Url)) return [];
        static string Q(string text) => System.Text.Json.JsonSerializer.Serialize(text, Http.AgentJsonContext.Default.String);
        var (kind, name) = CommandLineRef(g.Ref);
        var yaml = $"apiVersion: agent/v1\nkind: GitRepository\nmetadata:\n  name: {Q(g.Name)}\nspec:\n  url: {Q(g.Url)}\n  ref:\n    {kind}: {Q(name)}\n"
                   + $"  interval: {Q(g.Interval)}\n" + (string.IsNullOrWhiteSpace(g.Path) ? "" : $"  path: {Q(g.Path)}\n");
        return ManifestParser.ParseFile(CommandLineFile, yaml, files, policy, options.Value.Limits);
    }

    /// <summary>--git-ref: <c>tag:v1.2.0</c>, <c>semver:^1.2</c>, <c>commit:0a1b…</c> or <c>branch:main</c>; a plain name is a
    /// branch (spec.ref.branch). Anything else before a colon is left whole, so it is refused as a branch name (':').</summary>
    public static (string Kind, string Name) CommandLineRef(string value)
    {
        var colon = value.IndexOf(':');
        return colon > 0 && value[..colon] is "branch" or "tag" or "semver" or "commit" ? (value[..colon], value[(colon + 1)..]) : ("branch", value);
    }

    /// <summary>A document of a checkout as the desired state holds it: binds into the checkout become copies in the
    /// <see cref="GitBindStore"/> (stable while the content is, never emptied by cleaning checkouts), and paths in its
    /// errors are named in the repository (<c>GitRepository/NAME/apps/www</c>), never by a checkout or staging folder.</summary>
    private ManifestDocument Localize(ManifestDocument document, string repository, string[] checkoutRoots)
    {
        string? InCheckout(string path) => checkoutRoots.FirstOrDefault(r => path == r || path.StartsWith(r + "/", StringComparison.Ordinal));
        string Named(string text) => checkoutRoots.OrderByDescending(r => r.Length)
            .Aggregate(text, (t, r) => t.Replace(r + "/", Prefix(repository), StringComparison.Ordinal).Replace(r, Prefix(repository).TrimEnd('/'), StringComparison.Ordinal));
        var errors = document.Errors.Select(e => e with { Message = Named(e.Message) }).ToList();
        if (document.Object is not ServiceGroup group || errors.Count > 0) return document with { Errors = errors };
        var services = new List<ServiceSpec>();
        foreach (var service in group.Spec.Services)
        {
            var mounts = new List<MountSpec>();
            foreach (var mount in service.Container.Mounts)
            {
                if (mount is not { Type: MountType.Bind, Source: { } source } || InCheckout(source) is not { } root)
                {
                    mounts.Add(mount);
                    continue;
                }
                try
                {
                    mounts.Add(mount with { Source = binds.Materialize(repository, source, Path.GetRelativePath(root, source), writable: !mount.ReadOnly), CreateSource = false });
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return document with
                    {
                        Object = null,
                        Errors = [new ManifestError(document.Source.File, document.Source.Line, document.Source.Column, "volumes",
                            $"the bind source {Named(source)} cannot be copied for its containers: {e.Message}")],
                    };
                }
            }
            services.Add(service with { Container = service.Container with { Mounts = mounts } });
        }
        return document with { Object = group with { Spec = group.Spec with { Services = services } } };
    }

    private static ManifestDocument NoNestedRepository(ManifestDocument document) =>
        document.Key is { Kind: GitRepository.KindName }
            ? document with
            {
                Object = null,
                Errors = [.. document.Errors, new ManifestError(document.Source.File, document.Source.Line, document.Source.Column, "kind",
                    "a GitRepository is defined in the manifests folder, not inside a git repository")],
            }
            : document;
}
