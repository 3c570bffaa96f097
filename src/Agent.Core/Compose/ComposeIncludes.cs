namespace Agent.Core.Compose;

/// <summary>Stage 3a, top-level <c>include</c>: other compose projects whose services, networks, volumes, secrets and
/// configs join this one, as Compose does. An item is a path, or <c>path</c> (one file or a list merged like
/// <c>-f</c>), <c>project_directory</c> and <c>env_file</c>, all relative to the including file's project directory.
/// The included project is interpolated with its own env files (default <c>&lt;project_directory&gt;/.env</c>) and
/// the manifest's environment, resolves its own includes and extends, and its relative paths are made absolute
/// against its project directory. A resource defined on both sides is an error (Compose's rule), unless identical.</summary>
internal sealed class ComposeIncludes(ComposeSources sources, IReadOnlyDictionary<string, string> environment)
{
    private static readonly string[] Imported = ["services", "networks", "volumes", "secrets", "configs"];

    public ComposeMapping Apply(ComposeMapping file, string folder, IReadOnlyList<string> chain)
    {
        if (file["include"] is not { } include) return file;
        var result = file.Without("include");
        var cursor = new ComposeCursor(include, "include", sources.Errors);
        foreach (var item in cursor.Sequence())
            if (Load(item, folder, chain) is { } included)
                result = Import(result, included, item);
        return result;
    }

    private ComposeMapping? Load(ComposeCursor item, string folder, IReadOnlyList<string> chain)
    {
        IReadOnlyList<string> paths;
        string? projectDirectory = null;
        IReadOnlyList<string>? envFiles = null;
        ComposeCursor pathAt = item;
        if (item.IsScalar) paths = item.StringOrList();
        else
        {
            var f = item.Mapping(["path", "project_directory", "env_file"], "include field");
            if (f is null) return null;
            if (!f.TryGetValue("path", out var p)) { item.Error("missing \"path\""); return null; }
            pathAt = p;
            paths = p.StringOrList();
            if (f.TryGetValue("project_directory", out var pd)) projectDirectory = pd.Scalar();
            if (f.TryGetValue("env_file", out var ef)) envFiles = ef.StringOrList();
        }
        if (paths.Count == 0) return null;

        var absolute = paths.Select(p => Path.GetFullPath(Path.Combine(folder, p))).ToList();
        var cycle = absolute.FirstOrDefault(chain.Contains);
        if (cycle is not null)
        {
            pathAt.Error($"include cycle: {string.Join(" -> ", chain.Append(cycle).Select(sources.Display))}");
            return null;
        }
        var directory = projectDirectory is null ? Path.GetDirectoryName(absolute[0])! : Path.GetFullPath(Path.Combine(folder, projectDirectory));
        var env = envFiles is null
            ? [(Path.Combine(directory, ".env"), false)]
            : envFiles.Select(e => (Path.GetFullPath(Path.Combine(folder, e)), true)).ToList();
        var variables = sources.Variables(env, environment, item);
        string? Lookup(string name) => variables.TryGetValue(name, out var v) ? v : null;

        ComposeMapping? merged = null;
        var failed = false;
        foreach (var path in absolute)
        {
            var loaded = sources.Load(path, Lookup, pathAt);
            if (loaded is null) { failed = true; continue; }
            loaded = Apply(loaded, directory, [.. chain, path]);
            loaded = new ComposeExtends(sources, Lookup).Apply(loaded, path, directory);
            merged = merged is null ? loaded : (ComposeMapping)ComposeMerge.Merge(merged, loaded);
        }
        return failed || merged is null ? null : ComposePaths.File(merged, directory);
    }

    private ComposeMapping Import(ComposeMapping into, ComposeMapping included, ComposeCursor item)
    {
        var result = into;
        foreach (var key in Imported)
        {
            if (included[key] is not ComposeMapping theirs) continue;
            var ours = result[key] as ComposeMapping ?? new ComposeMapping([], theirs.At);
            var entries = ours.Entries.ToList();
            foreach (var entry in theirs.Entries)
            {
                var mine = entries.FirstOrDefault(e => e.Key == entry.Key);
                if (mine is null) entries.Add(entry);
                else if (key == "services" || Canonical(mine.Value) != Canonical(entry.Value))
                    sources.Errors.Add(new Manifests.ManifestError(mine.KeyAt.File, mine.KeyAt.Line, mine.KeyAt.Column, $"{key}.{entry.Key}",
                        $"{key[..^1]} \"{entry.Key}\" is also defined by the included file {entry.KeyAt.File} (line {entry.KeyAt.Line}): Compose refuses a conflicting definition; change it there or rename one"));
            }
            result = result.With(key, ours with { Entries = entries });
        }
        return result;
    }

    /// <summary>A node's content without positions, to tell identical definitions from conflicting ones.</summary>
    private static string Canonical(ComposeNode node) => node switch
    {
        ComposeScalar s => s.Value is null ? "~" : "\"" + s.Value + "\"",
        ComposeSequence s => "[" + string.Join(",", s.Items.Select(Canonical)) + "]",
        ComposeMapping m => "{" + string.Join(",", m.Entries.Select(e => e.Key + ":" + Canonical(e.Value))) + "}",
        _ => "",
    };
}
