namespace Agent.Core.Compose;

/// <summary>Relative paths of a service or a whole file made absolute against the folder they were written for, so
/// that a service taken from another file (<c>extends.file</c>, <c>include</c>) keeps pointing where its author meant,
/// as compose-go's ResolveRelativePaths does: env files, bind sources, build contexts, secret and config files.</summary>
internal static class ComposePaths
{
    public static ComposeMapping File(ComposeMapping file, string folder)
    {
        var result = file;
        if (file["services"] is ComposeMapping services)
            result = result.With("services", services with { Entries = services.Entries.Select(e => e with { Value = e.Value is ComposeMapping s ? Service(s, folder) : e.Value }).ToList() });
        foreach (var key in new[] { "secrets", "configs" })
            if (result[key] is ComposeMapping objects)
                result = result.With(key, objects with
                {
                    Entries = objects.Entries.Select(e => e with { Value = e.Value is ComposeMapping o && o["file"] is ComposeScalar f ? o.With("file", Absolute(f, folder)) : e.Value }).ToList(),
                });
        return result;
    }

    public static ComposeMapping Service(ComposeMapping service, string folder)
    {
        var result = service;
        switch (service["env_file"])
        {
            case ComposeScalar one: result = result.With("env_file", Absolute(one, folder)); break;
            case ComposeSequence list:
                result = result.With("env_file", list with
                {
                    Items = list.Items.Select(i => i switch
                    {
                        ComposeScalar s => Absolute(s, folder),
                        ComposeMapping m when m["path"] is ComposeScalar p => m.With("path", Absolute(p, folder)),
                        _ => i,
                    }).ToList(),
                });
                break;
        }
        if (service["volumes"] is ComposeSequence volumes)
            result = result.With("volumes", volumes with { Items = volumes.Items.Select(v => Volume(v, folder)).ToList() });
        switch (service["build"])
        {
            case ComposeScalar context: result = result.With("build", Context(context, folder)); break;
            case ComposeMapping build when build["context"] is ComposeScalar context: result = result.With("build", build.With("context", Context(context, folder))); break;
            case ComposeMapping build: result = result.With("build", build.With("context", new ComposeScalar(folder, true, build.At))); break;
        }
        return result;
    }

    private static ComposeNode Volume(ComposeNode volume, string folder)
    {
        if (volume is ComposeScalar { Value: { } text } s && text.StartsWith('.'))
        {
            var sep = text.IndexOf(':');
            var source = sep < 0 ? text : text[..sep];
            return s with { Value = Path.GetFullPath(Path.Combine(folder, source)) + (sep < 0 ? "" : text[sep..]) };
        }
        if (volume is ComposeMapping m && m["type"] is ComposeScalar { Value: "bind" } && m["source"] is ComposeScalar src)
            return m.With("source", Absolute(src, folder));
        return volume;
    }

    /// <summary>A build context that is a URL (git, http) stays as written.</summary>
    private static ComposeScalar Context(ComposeScalar context, string folder) =>
        context.Value is { } v && (v.Contains("://") || v.StartsWith("git@", StringComparison.Ordinal)) ? context : Absolute(context, folder);

    private static ComposeScalar Absolute(ComposeScalar path, string folder) =>
        path.Value is { } v && !v.StartsWith('~') ? path with { Value = Path.GetFullPath(Path.Combine(folder, v)) } : path;
}
