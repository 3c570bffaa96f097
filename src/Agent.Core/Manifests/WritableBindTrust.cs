using Agent.Core.Model;
using Agent.Core.Security;

namespace Agent.Core.Manifests;

/// <summary>A read-write bind source (a host path, links resolved) of an object the agent applies or applied.</summary>
public sealed record WritableBind(string Source, ObjectKey Owner);

/// <summary>
/// Manifests a container can write are not read (probe-15c G15): a container, or an operator through the files API or exec,
/// would otherwise plant objects the agent applies. A document whose file (or a compose file it reads) lies inside a
/// read-write bind source of an object that is applied is replaced by an error on that file: not read, and, having no
/// key, it holds whatever that file defined before (a failed read is never a deletion).
/// Who is applied is decided from the bottom up: an object written by no other is trusted; one inside a writable bind of
/// a trusted object is not; one written only by objects that are not trusted is (their containers are never created);
/// objects that write each other (or themselves) are not. Sources of objects applied before (<c>held</c>) always count,
/// so deleting the binding manifest does not expose what its container left in the folder while it still runs.
/// </summary>
public static class WritableBindTrust
{
    /// <summary>The read-write bind sources of an object's containers, as written in its spec (absolute host paths).</summary>
    public static IEnumerable<string> Sources(IManifestObject? obj) => Sources(Containers(obj).SelectMany(c => c.Mounts));

    /// <summary>The read-write bind sources among <paramref name="mounts"/>.</summary>
    public static IEnumerable<string> Sources(IEnumerable<MountSpec> mounts) =>
        mounts.Where(m => m is { Type: MountType.Bind, ReadOnly: false, Source: not null }).Select(m => m.Source!).Distinct(StringComparer.Ordinal);

    private static IEnumerable<ContainerSpec> Containers(IManifestObject? obj) => obj switch
    {
        ServiceGroup g => g.Spec.Services.Select(s => s.Container),
        CronJob c => [c.Spec.JobTemplate.Container],
        Job j => [j.Spec.Container],
        _ => [],
    };

    /// <param name="documents">The documents of one manifests folder (files relative to <paramref name="root"/>).</param>
    /// <param name="resolve">Resolves every symbolic link of an absolute host path (a link to a bound folder is that folder).</param>
    /// <param name="held">Read-write bind sources (resolved) of objects applied before that may still have containers.</param>
    /// <param name="locations">Every place on the way to a file (<paramref name="resolve"/>d parent folders, each link where it lies,
    /// the target): a file reached through a link inside a writable folder is the container's to choose (probe-15f F1, F4).</param>
    public static IReadOnlyList<ManifestDocument> Apply(IReadOnlyList<ManifestDocument> documents, string root, Func<string, string> resolve,
        IReadOnlyCollection<WritableBind> held, Func<string, IEnumerable<string>>? locations = null)
    {
        var realRoot = resolve(HostPath.Normalize(root));
        // A source that resolves to the manifests folder or above is a link swapped in since admission, which refuses such
        // a bind (probe-15h H4): its container binds what was judged then (BindSourceMoved), not the whole folder.
        held = held.Where(h => !IsManifestsFolderOrAbove(h.Source, realRoot)).ToList();
        var sources = documents.Select(d => Sources(d.IsValid ? d.Object : null).Select(s => resolve(HostPath.Normalize(s)))
            .Where(s => !IsManifestsFolderOrAbove(s, realRoot)).ToList()).ToList();
        if (held.Count == 0 && sources.All(s => s.Count == 0)) return documents;
        locations ??= f => [resolve(f)];
        var files = documents.Select(d => FilesOf(d, root).SelectMany(locations).Distinct(StringComparer.Ordinal).ToList()).ToList();

        // Who writes whom: writers[i] are the documents with a writable bind over a file of document i.
        var why = new Dictionary<int, WritableBind>();
        var writers = new List<int>[documents.Count];
        for (var i = 0; i < documents.Count; i++)
        {
            writers[i] = [];
            if (held.FirstOrDefault(h => files[i].Any(f => IsUnder(f, h.Source))) is { } before) why[i] = before;
        }
        for (var w = 0; w < documents.Count; w++)
        {
            if (sources[w].Count == 0 || why.ContainsKey(w)) continue; // a document not read writes nothing
            for (var i = 0; i < documents.Count; i++)
                if (!why.ContainsKey(i) && files[i].Any(f => sources[w].Any(s => IsUnder(f, s)))) writers[i].Add(w);
        }

        var trusted = new bool[documents.Count];
        var decided = new bool[documents.Count];
        foreach (var i in why.Keys) decided[i] = true;
        for (var changed = true; changed;)
        {
            changed = false;
            for (var i = 0; i < documents.Count; i++)
            {
                if (decided[i]) continue;
                var by = writers[i].FirstOrDefault(w => decided[w] && trusted[w], -1);
                if (by >= 0) why[i] = Bind(documents[by], sources[by], files[i]);
                else if (writers[i].All(w => decided[w])) trusted[i] = true;
                else continue;
                decided[i] = changed = true;
            }
        }
        // What is left writes each other (or itself) in a circle: none of it is trusted.
        for (var i = 0; i < documents.Count; i++)
            if (!decided[i]) why[i] = Bind(documents[writers[i][0]], sources[writers[i][0]], files[i]);

        if (why.Count == 0) return documents;
        var result = new List<ManifestDocument>();
        var reported = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < documents.Count; i++)
        {
            if (!why.TryGetValue(i, out var bind)) result.Add(documents[i]);
            else if (reported.Add(documents[i].Source.File)) result.Add(NotRead(documents[i].Source.File, bind, realRoot));
        }
        return result;
    }

    /// <summary>The error that replaces a document inside a writable bind: no key, so what the file defined is held.</summary>
    public static ManifestDocument NotRead(string file, WritableBind bind, string root) =>
        new(new SourceLocation(file, 1, 1), null, null, [new ManifestError(file, 1, 1, "",
            $"not read: it lies inside {Display(bind.Source, root)}, bound read-write by {bind.Owner} (now or earlier), so its containers (and anyone " +
            "who may write files into them) could have written it; keep manifests out of folders a container writes to (a hidden folder such as " +
            "./.data is never read as manifests); a folder no longer bound read-write is read again once it is deleted and made anew")]) { WrittenBy = bind };

    private static WritableBind Bind(ManifestDocument writer, List<string> sources, List<string> files) =>
        new(sources.First(s => files.Any(f => IsUnder(f, s))), writer.Key ?? new ObjectKey("", writer.Source.File));

    private static IEnumerable<string> FilesOf(ManifestDocument document, string root)
    {
        yield return HostPath.Normalize(Path.Combine(root, document.Source.File));
        foreach (var f in document.ComposeFiles) yield return HostPath.Normalize(Path.Combine(root, f));
        if (document.Object is ServiceGroup { Compose: { } compose })
            foreach (var f in compose.ConfigFiles) yield return HostPath.Normalize(f);
    }

    /// <summary>A bind source as the manifests show it: <c>./x/data</c> inside the manifests folder, else the host path.</summary>
    public static string Display(string source, string root)
    {
        var r = HostPath.Normalize(root).TrimEnd('/');
        return IsUnder(source, r) ? "./" + source[Math.Min(source.Length, r.Length + 1)..] : source;
    }

    /// <summary>A read-write bind of <paramref name="source"/> (links resolved) would hold the whole manifests folder
    /// <paramref name="realRoot"/> (links resolved): admission never lets one be made, so a record or a re-resolution naming it
    /// comes from a link swapped in later and is not a folder a container was given.</summary>
    public static bool IsManifestsFolderOrAbove(string source, string realRoot) => IsUnder(HostPath.Normalize(realRoot).TrimEnd('/'), HostPath.Normalize(source));

    private static bool IsUnder(string path, string folder)
    {
        folder = folder.TrimEnd('/');
        return folder.Length == 0 || path == folder || path.StartsWith(folder + "/", StringComparison.Ordinal);
    }
}
