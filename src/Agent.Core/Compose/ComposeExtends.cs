namespace Agent.Core.Compose;

/// <summary>Stage 3b, <c>extends</c>: a service built on another one, of the same file (<c>extends: base</c> or
/// <c>extends: { service: base }</c>) or of another file (<c>extends: { file: common.yaml, service: base }</c>, relative
/// to the folder of the file that says it). The base is resolved first (it may extend in turn), its relative paths are
/// made absolute against its own file's folder, and the service is merged over it with the override rules
/// (<see cref="ComposeMerge"/>), as Compose does. A cycle is an error naming the chain.</summary>
internal sealed class ComposeExtends(ComposeSources sources, Func<string, string?> lookup)
{
    private readonly Dictionary<string, ComposeMapping?> otherFiles = new(StringComparer.Ordinal);

    /// <summary>The file with every service's <c>extends</c> resolved; <paramref name="path"/> is the file's absolute path.</summary>
    public ComposeMapping Apply(ComposeMapping file, string path, string folder)
    {
        if (file["services"] is not ComposeMapping services || services.Entries.All(e => e.Value is not ComposeMapping m || !m.Has("extends"))) return file;
        var resolved = services.Entries.Select(e => e with { Value = Resolve(file, path, folder, e.Key, []) ?? e.Value }).ToList();
        return file.With("services", services with { Entries = resolved });
    }

    /// <summary>One service with its extends chain applied, or null when it cannot be (the error is recorded).</summary>
    private ComposeMapping? Resolve(ComposeMapping file, string path, string folder, string name, List<string> chain)
    {
        if ((file["services"] as ComposeMapping)?[name] is not ComposeMapping service) return null;
        var cursorPath = $"services.{name}";
        if (service["extends"] is not { } extends) return service;
        var cursor = new ComposeCursor(extends, cursorPath + ".extends", sources.Errors);

        string? baseName = null, baseFile = null;
        if (extends is ComposeScalar) baseName = cursor.Scalar();
        else if (cursor.Mapping(["service", "file"], "extends field") is { } f)
        {
            if (!f.TryGetValue("service", out var s)) cursor.Error("missing \"service\" (the service to extend)");
            else baseName = s.Scalar();
            if (f.TryGetValue("file", out var fc)) baseFile = fc.Scalar();
        }
        if (baseName is null) return null;

        var basePath = baseFile is null ? path : Path.GetFullPath(Path.Combine(folder, baseFile));
        var link = $"{sources.Display(basePath)}:{baseName}";
        var here = $"{sources.Display(path)}:{name}";
        var visited = chain.Append(here).ToList();
        if (visited.Contains(link))
        {
            // Told from the service where it is reported: here -> ... -> here.
            var loop = visited.Skip(visited.IndexOf(link)).ToList();
            loop = [.. loop.Skip(loop.Count - 1), .. loop.Take(loop.Count - 1)];
            cursor.Error($"extends cycle: {string.Join(" -> ", loop.Append(here))}");
            return null;
        }

        ComposeMapping? baseService;
        if (baseFile is null)
        {
            if ((file["services"] as ComposeMapping)?[baseName] is null) { cursor.Error($"extends service \"{baseName}\", which this file does not define"); return null; }
            baseService = Resolve(file, path, folder, baseName, visited);
        }
        else
        {
            if (!otherFiles.TryGetValue(basePath, out var other))
                otherFiles[basePath] = other = sources.Load(basePath, lookup, new ComposeCursor(((ComposeMapping)extends)["file"]!, cursorPath + ".extends.file", sources.Errors));
            if (other is null) return null;
            if ((other["services"] as ComposeMapping)?[baseName] is null) { cursor.Error($"extends service \"{baseName}\", which {sources.Display(basePath)} does not define"); return null; }
            var otherFolder = Path.GetDirectoryName(basePath)!;
            baseService = Resolve(other, basePath, otherFolder, baseName, visited) is { } b ? ComposePaths.Service(b, otherFolder) : null;
        }
        if (baseService is null) return null;
        return (ComposeMapping)ComposeMerge.Merge(baseService.Without("extends"), service.Without("extends"));
    }
}
