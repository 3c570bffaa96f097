using Agent.Core.Model;
using Agent.Core.Security;

namespace Agent.Core.Manifests;

/// <summary>
/// Every document of a manifests folder, after the checks that span documents (duplicate names,
/// group dependencies). Valid objects are the desired state; broken ones keep their key so the
/// reconciler can hold on to their last good state instead of pruning them.
/// </summary>
public sealed class ManifestSet
{
    private ManifestSet(IReadOnlyList<ManifestDocument> documents) => Documents = documents;

    public IReadOnlyList<ManifestDocument> Documents { get; }

    /// <summary>The compose file names that make a folder a stack folder, in order of preference.</summary>
    public static IReadOnlyList<string> StackFileNames => ComposeProjectParser.DefaultFiles;

    public IEnumerable<ManifestError> Errors => Documents.SelectMany(d => d.Errors);

    public IReadOnlyDictionary<ObjectKey, IManifestObject> Objects =>
        Documents.Where(d => d.IsValid).ToDictionary(d => d.Key!.Value, d => d.Object!);

    /// <summary>Keys of documents that name an object but do not load.</summary>
    public IReadOnlySet<ObjectKey> BrokenKeys =>
        Documents.Where(d => !d.IsValid && d.Key is not null).Select(d => d.Key!.Value).ToHashSet();

    /// <summary>Files whose documents could not even be told apart (no key): their objects are unknown.</summary>
    public IReadOnlySet<string> FilesWithUnknownObjects =>
        Documents.Where(d => d.Key is null).Select(d => d.Source.File).ToHashSet(StringComparer.Ordinal);

    public static ManifestSet Load(IEnumerable<(string File, string Text)> files, IManifestFiles access, SecurityPolicy policy, ManifestLimits? limits = null)
    {
        var byName = files.ToDictionary(f => f.File, f => f.Text, StringComparer.Ordinal);
        return Load(byName.Keys, file => ManifestParser.ParseFile(file, byName[file], access, policy, limits), access, policy);
    }

    /// <summary>Loads files as read from disk: their bytes must be UTF-8.</summary>
    /// <param name="unreadable">Documents for files or folders that could not be read (no key): the objects they last
    /// defined are held, never read as deleted.</param>
    public static ManifestSet Load(IEnumerable<(string File, byte[] Content)> files, IManifestFiles access, SecurityPolicy policy, ManifestLimits? limits = null,
        IEnumerable<ManifestDocument>? unreadable = null)
    {
        var byName = files.ToDictionary(f => f.File, f => f.Content, StringComparer.Ordinal);
        return Load(byName.Keys, file => ManifestParser.ParseFile(file, byName[file], access, policy, limits), access, policy, unreadable);
    }

    private static ManifestSet Load(IEnumerable<string> fileNames, Func<string, IEnumerable<ManifestDocument>> parse, IManifestFiles access, SecurityPolicy policy,
        IEnumerable<ManifestDocument>? unreadable = null) =>
        Build(WithoutNewAmbiguousStacks(Parse(fileNames, parse, access, policy), _ => false).Concat(unreadable ?? []));

    /// <summary>The documents of files as read from disk, before the checks that span documents: several sources (the
    /// folder and git checkouts) are parsed on their own, each against its own files, and built into one set.</summary>
    /// <param name="rootIsStack">A default-named compose file at the top is a stack folder too, named after the folder
    /// itself (`agent validate STACKDIR`); the agent's manifests folder never is one at its very top.</param>
    public static IReadOnlyList<ManifestDocument> Parse(IEnumerable<(string File, byte[] Content)> files, IManifestFiles access, SecurityPolicy policy, ManifestLimits? limits = null,
        bool rootIsStack = false)
    {
        var byName = files.ToDictionary(f => f.File, f => f.Content, StringComparer.Ordinal);
        return Parse(byName.Keys, file => ManifestParser.ParseFile(file, byName[file], access, policy, limits), access, policy, rootIsStack);
    }

    /// <summary>Parses every manifest file. Compose files (by their default names, or named by a ComposeProject) are
    /// never read as manifests; a folder with a default-named compose file and no manifest of its own is a project.</summary>
    private static List<ManifestDocument> Parse(IEnumerable<string> fileNames, Func<string, IEnumerable<ManifestDocument>> parse, IManifestFiles access, SecurityPolicy policy,
        bool rootIsStack = false)
    {
        var all = fileNames.Order(StringComparer.Ordinal).ToList();
        var composeNames = ComposeProjectParser.DefaultFiles.Concat(ComposeProjectParser.OverrideFiles).ToHashSet(StringComparer.Ordinal);
        var documents = all.Where(f => !composeNames.Contains(Path.GetFileName(f))).SelectMany(parse).ToList();
        var referenced = documents.SelectMany(d => d.ComposeFiles).ToHashSet(StringComparer.Ordinal);
        var claims = documents.SelectMany(d => d.ComposeFiles.Select(f => (File: f, d.Key, Folder: Path.GetDirectoryName(d.Source.File) ?? "")))
            .ToLookup(c => c.File, StringComparer.Ordinal);
        documents.RemoveAll(d => referenced.Contains(d.Source.File));

        // A stack folder's compose file may include or extend other files beside it (or elsewhere): those are compose
        // files too, so the folder is judged on what remains once they are set aside.
        var stacks = new List<(string Folder, ManifestDocument Document)>();
        var read = new HashSet<string>(StringComparer.Ordinal);
        foreach (var folder in all.GroupBy(f => Path.GetDirectoryName(f) ?? "", StringComparer.Ordinal))
        {
            var names = folder.Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal);
            if (folder.Key.Length == 0 && !rootIsStack) continue;
            if (!ComposeProjectParser.DefaultFiles.Any(names.Contains)) continue;
            var name = ComposeProjectParser.ProjectName(Path.GetFileName(folder.Key.Length == 0 ? access.Root.TrimEnd('/') : folder.Key));
            // A ComposeProject manifest that names a file of the folder makes it that manifest's own folder only when it
            // lies in the folder or defines the same project (then it is that object, more controlled). One elsewhere
            // with another name is a second project from the same files (`docker compose -p a` and `-p b`): the drop-in
            // stays defined, so a claim never prunes a running project, and a claimant that fails to read never
            // re-creates it (probe-16 F5).
            if (folder.SelectMany(f => claims[f]).Any(c => c.Folder == folder.Key || name is not null && c.Key == new ObjectKey(ServiceGroup.ComposeKindName, name))) continue;
            var errors = new List<ManifestError>();
            var project = ComposeProjectParser.Detect(folder.Key, names, access, policy, errors, out var files);
            var main = Path.Combine(folder.Key, ComposeProjectParser.DefaultFiles.First(names.Contains));
            read.UnionWith(files);
            stacks.Add((folder.Key, new ManifestDocument(new SourceLocation(main, 1, 1),
                name is null ? null : new ObjectKey(ServiceGroup.ComposeKindName, name),
                errors.Count == 0 ? project : null, errors)));
        }
        documents.RemoveAll(d => read.Contains(d.Source.File));
        // What a stack folder is depends on its compose files only: other YAML beside them (an app's config, an extra
        // compose file) is not read, as `docker compose` ignores it; a file that does not parse stays an error but
        // never un-makes the project. Only an agent manifest that names an object does, and the store holds the project
        // then (IsAmbiguousStack) if it was one, so dropping a manifest into a stack folder never deletes by itself.
        var stackFolders = stacks.Select(s => s.Folder).ToHashSet(StringComparer.Ordinal);
        documents.RemoveAll(d => d.IsForeign && stackFolders.Contains(Path.GetDirectoryName(d.Source.File) ?? ""));
        var manifestsByFolder = documents.Where(d => d.Key is not null)
            .ToLookup(d => Path.GetDirectoryName(d.Source.File) ?? "", StringComparer.Ordinal);
        foreach (var (folder, document) in stacks)
        {
            if (!manifestsByFolder.Contains(folder)) documents.Add(document);
            else if (document.Key is { } key)
            {
                var manifest = manifestsByFolder[folder].First().Source;
                var error = new ManifestError(document.Source.File, 1, 1, "",
                    $"this folder is no longer read as the drop-in project {key.Name}: it also holds the agent manifest {manifest.File}:{manifest.Line}; the project is held as it runs (move that manifest out of the folder, or remove the compose file to remove the project)");
                documents.Add(new ManifestDocument(document.Source, key, null, [error]) { IsAmbiguousStack = true });
            }
        }
        return documents;
    }

    /// <summary>Stack folders that their own agent manifests made ambiguous are held only when <paramref name="wasProject"/>
    /// says they were projects; the others are plainly not projects (a folder that mixes both from the start).</summary>
    public static IEnumerable<ManifestDocument> WithoutNewAmbiguousStacks(IEnumerable<ManifestDocument> documents, Func<ObjectKey, bool> wasProject) =>
        documents.Where(d => !d.IsAmbiguousStack || wasProject(d.Key!.Value));

    /// <param name="nameOwner">Which object already runs (was accepted with) the containers named by a
    /// <c>"{group}-{service}-"</c> prefix, or null: of two documents that would name containers alike, that object keeps
    /// the names and the other is refused (<see cref="ManifestDocument.IsNameTaken"/>), whatever their file order
    /// (probe-16 F9); when neither runs, the later document is refused.</param>
    /// <param name="definedIn">The file that defined each object that runs, or null: see <see cref="MarkDuplicates"/>.</param>
    public static ManifestSet Build(IEnumerable<ManifestDocument> parsed, Func<string, ObjectKey?>? nameOwner = null, Func<ObjectKey, string?>? definedIn = null)
    {
        var documents = parsed.ToList();
        MarkDuplicates(documents, definedIn: definedIn);
        CheckEngineNames(documents, nameOwner);
        CheckContainerNames(documents);
        CheckGroupDependencies(documents);
        CheckSecretBinds(documents);
        return new ManifestSet(documents);
    }

    /// <summary>No service may bind a secret file a GitRepository of the same set names (the daemon's admission judges
    /// the same on every container it creates).</summary>
    private static void CheckSecretBinds(List<ManifestDocument> documents)
    {
        var secrets = documents.Where(d => d is { IsValid: true, Object: GitRepository }).SelectMany(d => ((GitRepository)d.Object!).Spec.SecretFiles()).ToList();
        if (secrets.Count == 0) return;
        for (var i = 0; i < documents.Count; i++)
        {
            if (documents[i] is not { IsValid: true, Object: ServiceGroup group }) continue;
            var errors = new List<ManifestError>();
            for (var j = 0; j < group.Spec.Services.Count; j++)
            {
                var mounts = group.Spec.Services[j].Container.Mounts;
                for (var k = 0; k < mounts.Count; k++)
                    if (mounts[k] is { Type: MountType.Bind, Source: { } source }
                        && HostPathRules.SecretProblem(HostPath.Normalize(source), HostPath.Normalize(source), "", secrets) is { } problem)
                        errors.Add(documents[i].ErrorAt($"spec.services[{j}].volumes[{mounts.Take(k).Count(m => m.Type != MountType.Tmpfs)}]", problem));
            }
            if (errors.Count > 0) documents[i] = WithErrors(documents[i], errors);
        }
    }

    /// <summary>
    /// A later manifest of the same kind and name is an error; of those, one in the file <paramref name="definedIn"/> names
    /// (where the object that runs was defined) is never the later one. Across hosts (<paramref name="acrossHosts"/>) two that select
    /// disjoint hosts (spec.placement) are not: the store marks the documents of every host so, before it sets aside those
    /// that do not select this one, so hosts agree on which revision is broken. Marking twice adds nothing.
    /// </summary>
    public static List<ManifestDocument> MarkDuplicates(List<ManifestDocument> documents, bool acrossHosts = false, Func<ObjectKey, string?>? definedIn = null)
    {
        var seen = new Dictionary<ObjectKey, List<ManifestDocument>>();
        // The file that defines the running object (definedIn) keeps it: a copy in a file that sorts before it is the
        // duplicate, not the running object's own manifest (probe-33 F6). Otherwise the later document is.
        var order = Enumerable.Range(0, documents.Count)
            .OrderBy(i => documents[i].Key is { } k && definedIn?.Invoke(k) is { } file && documents[i].Source.File == file ? 0 : 1)
            .ThenBy(i => i);
        foreach (var i in order)
        {
            if (documents[i].Key is not { } key) continue;
            var document = documents[i];
            if (!seen.TryGetValue(key, out var earlier)) seen[key] = earlier = [];
            if (earlier.FirstOrDefault(e => !acrossHosts || !Placement.Disjoint(e.HostSelector, document.HostSelector)) is { } clash)
            {
                var error = document.ErrorAt("metadata.name", $"{key} is already defined at {clash.Source}");
                if (!document.Errors.Contains(error)) documents[i] = WithError(document, error);
            }
            earlier.Add(document);
        }
        return documents;
    }

    /// <summary>
    /// Names derived from manifests must be unique across the whole set: group "a" with service "b-c" and group "a-b"
    /// with service "c" would both name containers "a-b-c-1". Replica numbers have no '-', so two services collide
    /// exactly when their "{group}-{service}-" prefixes are equal. The object that already runs such containers
    /// (<paramref name="nameOwner"/>) keeps them and the other document gets the error, a name conflict; when neither
    /// runs, the later document gets it.
    /// </summary>
    private static void CheckEngineNames(List<ManifestDocument> documents, Func<string, ObjectKey?>? nameOwner)
    {
        var claims = new List<(int Document, int Service, string Prefix, bool Runs)>();
        for (var i = 0; i < documents.Count; i++)
        {
            if (documents[i] is not { IsValid: true, Object: ServiceGroup group }) continue;
            for (var j = 0; j < group.Spec.Services.Count; j++)
            {
                var prefix = ContainerNames.Replica(group.Metadata.Name, group.Spec.Services[j].Name, 0)[..^1];
                claims.Add((i, j, prefix, nameOwner?.Invoke(prefix) is { } owner && owner == documents[i].Key));
            }
        }
        var owners = new Dictionary<string, (ManifestDocument Document, string? Service, bool Runs)>(StringComparer.Ordinal);
        // An object that runs the names and whose manifest does not load now is held as it runs: it keeps them too.
        foreach (var prefix in claims.Select(c => c.Prefix).Distinct(StringComparer.Ordinal))
            if (nameOwner?.Invoke(prefix) is { } held && documents.FirstOrDefault(d => d.Key == held && !d.IsValid) is { } heldDocument
                && !documents.Any(d => d.Key == held && d.IsValid))
                owners[prefix] = (heldDocument, null, true);
        var errors = new Dictionary<int, List<ManifestError>>();
        var byRunning = new Dictionary<int, int>(); // document -> how many of its errors name an object that runs
        // The running owner's claims first, then document order (a stable sort).
        foreach (var (i, j, prefix, runs) in claims.OrderBy(c => c.Runs ? 0 : 1))
        {
            var service = ((ServiceGroup)documents[i].Object!).Spec.Services[j].Name;
            if (!owners.TryGetValue(prefix, out var owner))
            {
                owners[prefix] = (documents[i], service, runs);
                continue;
            }
            if (owner.Document.Key == documents[i].Key) continue;
            if (!errors.TryGetValue(i, out var list)) errors[i] = list = [];
            var whose = $"{(owner.Service is null ? "" : $"service \"{owner.Service}\" of ")}{owner.Document.Key} at {owner.Document.Source}";
            list.Add(documents[i].ErrorAt($"spec.services[{j}].name", owner.Runs
                ? $"containers would be named {prefix}N, like those of {whose}, which runs them: they stay its own; rename the group or the service"
                : $"containers would be named {prefix}N, like those of {whose}: rename the group or the service"));
            if (owner.Runs) byRunning[i] = byRunning.GetValueOrDefault(i) + 1;
        }
        foreach (var (i, list) in errors.OrderBy(e => e.Key))
        {
            // A name conflict when every name it is refused for is one an object that runs holds.
            documents[i] = WithErrors(documents[i], list.OrderBy(e => e.Line).ThenBy(e => e.Column))
                with { IsNameTaken = byRunning.GetValueOrDefault(i) == list.Count };
        }
    }

    /// <summary>
    /// A compose <c>container_name</c> names one container of the engine: it may not be a name another service gives its
    /// containers (a replica, a start-first update's <c>-next</c>, a swap's <c>-prev</c>, another container_name), or
    /// that service could never scale or update while it exists (probe-15h M5). POST /run refuses the same names
    /// (<see cref="ContainerNames.Claiming"/>). The document that sets the container_name gets the error; of two equal
    /// container_names, the later one.
    /// </summary>
    private static void CheckContainerNames(List<ManifestDocument> documents)
    {
        var groups = new List<ServiceGroup>();
        var order = new Dictionary<ServiceSpec, (int Document, int Service)>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < documents.Count; i++)
            if (documents[i] is { IsValid: true, Object: ServiceGroup group })
            {
                groups.Add(group);
                for (var j = 0; j < group.Spec.Services.Count; j++) order[group.Spec.Services[j]] = (i, j);
            }
        var errors = new Dictionary<int, List<ManifestError>>();
        foreach (var (service, (i, _)) in order)
        {
            if (service.ContainerName is not { } own) continue;
            var taken = ContainerNames.Claiming(own, groups).FirstOrDefault(c => !ReferenceEquals(c.Service, service)
                && !(c.Service.ContainerName == own && order[c.Service].CompareTo(order[service]) > 0));
            if (taken.Group is null) continue;
            var owner = documents[order[taken.Service].Document];
            var how = taken.Service.ContainerName is { } theirs ? $"container_name {theirs}" : $"{taken.Group.Metadata.Name}-{taken.Service.Name}-N";
            var at = service.ContainerNameAt ?? documents[i].Source;
            if (!errors.TryGetValue(i, out var list)) errors[i] = list = [];
            list.Add(new ManifestError(at.File, at.Line, at.Column, $"services.{service.Name}.container_name",
                $"\"{own}\" is a name {ContainerNames.Describe(taken.Group, taken.Service)} at {owner.Source} gives its containers ({how}, and -next/-prev while it " +
                "updates): a container under it would block that service's scale and updates for good; choose another container_name"));
        }
        foreach (var (i, list) in errors) documents[i] = WithErrors(documents[i], list);
    }

    private static void CheckGroupDependencies(List<ManifestDocument> documents)
    {
        var groups = documents
            .Where(d => d is { IsValid: true, Object: ServiceGroup })
            .ToDictionary(d => d.Key!.Value.Name, d => (ServiceGroup)d.Object!, StringComparer.Ordinal);
        var known = documents.Where(d => d.Key is { Kind: ServiceGroup.KindName or ServiceGroup.ComposeKindName }).Select(d => d.Key!.Value.Name).ToHashSet(StringComparer.Ordinal);

        var cycle = Graphs.FindCycle(groups.Keys, g => groups[g].Spec.DependsOn.Where(groups.ContainsKey));
        for (var i = 0; i < documents.Count; i++)
        {
            if (documents[i] is not { IsValid: true, Object: ServiceGroup group }) continue;
            var errors = new List<ManifestError>();
            for (var j = 0; j < group.Spec.DependsOn.Count; j++)
            {
                var dep = group.Spec.DependsOn[j];
                var path = $"spec.dependsOn[{j}]";
                if (!known.Contains(dep))
                    errors.Add(documents[i].ErrorAt(path, $"no ServiceGroup \"{dep}\" in the manifests"));
                else if (groups.TryGetValue(dep, out var other) && other.Spec.Phase > group.Spec.Phase)
                    errors.Add(documents[i].ErrorAt(path,
                        $"\"{dep}\" is in phase {other.Spec.Phase.ToString().ToLowerInvariant()}, after this group's phase {group.Spec.Phase.ToString().ToLowerInvariant()}: a group can only depend on groups of its own or an earlier phase"));
            }
            if (cycle is not null && cycle.Contains(group.Metadata.Name))
                errors.Add(documents[i].ErrorAt("spec.dependsOn", $"dependency cycle: {string.Join(" -> ", cycle)}"));
            if (errors.Count > 0) documents[i] = WithErrors(documents[i], errors);
        }
    }

    private static ManifestDocument WithError(ManifestDocument document, ManifestError error) => WithErrors(document, [error]);

    private static ManifestDocument WithErrors(ManifestDocument document, IEnumerable<ManifestError> errors) =>
        document with { Object = null, Errors = [.. document.Errors, .. errors] };
}
