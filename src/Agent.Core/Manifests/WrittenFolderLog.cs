namespace Agent.Core.Manifests;

/// <summary>
/// What the log says about manifests not read because a container could have written them: one line per read-write
/// folder holding more than one, naming the folder and the count, not one per file. A new read-write bind over a folder
/// already holding 60,000 files logged some four lines per file (probe-15f F5, probe-15h L4).
/// </summary>
public static class WrittenFolderLog
{
    /// <summary>How many files one line names as examples.</summary>
    public const int Examples = 3;

    /// <summary>The lines for the documents of one read (those not container-written are left out): a folder with one such
    /// file gets that file's own error; a folder with more, one line starting with the folder (as the manifests show it).</summary>
    public static IReadOnlyList<string> Lines(IEnumerable<ManifestDocument> documents, string root) =>
        documents.Where(d => d.WrittenBy is not null).GroupBy(d => d.WrittenBy!).OrderBy(g => g.Key.Source, StringComparer.Ordinal)
            .SelectMany(g => g.Count() == 1 ? g.SelectMany(d => d.Errors).Select(e => e.ToString()) : [Line(g.Key, g.Select(d => d.Source.File).ToList(), root)])
            .ToList();

    private static string Line(WritableBind bind, List<string> files, string root)
    {
        var shown = WritableBindTrust.Display(bind.Source, root);
        var examples = string.Join(", ", files.Order(StringComparer.Ordinal).Take(Examples));
        return $"{(shown.StartsWith("./", StringComparison.Ordinal) ? shown[2..] : shown)}: {files.Count} manifest files not read: they lie inside {shown}, " +
               $"bound read-write by {bind.Owner} (now or earlier), so its containers could have written them; e.g. {examples}" +
               (files.Count > Examples ? $" and {files.Count - Examples} more (GET /api/v1/objects lists each as kind File)" : "");
    }

    /// <summary>The folders (relative to the manifests folder) that documents of a read lie in as container-written: what
    /// a walk of them met (empty or unreadable files) is no problem of the manifests, as nothing there is read.</summary>
    public static IReadOnlySet<string> Folders(IEnumerable<ManifestDocument> documents, string root) =>
        documents.Select(d => d.WrittenBy).OfType<WritableBind>().Select(b => WritableBindTrust.Display(b.Source, root))
            .Where(s => s.StartsWith("./", StringComparison.Ordinal) && s.Length > 2).Select(s => s[2..]).ToHashSet(StringComparer.Ordinal);
}
