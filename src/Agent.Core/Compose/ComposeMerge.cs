namespace Agent.Core.Compose;

/// <summary>Stage 4, merge overrides: <c>-f a.yaml -f b.yaml</c> with the Compose Specification's rules. Mappings
/// merge key by key; scalars and command/entrypoint/healthcheck.test are replaced; environment, labels, args and
/// extra_hosts merge by name whichever form (list or map) each file used; volumes and devices merge by container
/// path, secrets and configs by source, ports by their whole text; other lists are appended without duplicates.</summary>
public static class ComposeMerge
{
    private static readonly HashSet<string> Replaced = new(StringComparer.Ordinal) { "command", "entrypoint", "test" };
    private static readonly HashSet<string> NamedLists = new(StringComparer.Ordinal) { "environment", "labels", "args", "extra_hosts", "sysctls", "annotations" };

    public static ComposeNode Merge(ComposeNode base_, ComposeNode over, string key = "")
    {
        if (Replaced.Contains(key)) return over;
        if (NamedLists.Contains(key) && (base_ is ComposeSequence || over is ComposeSequence))
            return MergeMaps(ListToMap(base_, key), ListToMap(over, key));
        return (base_, over) switch
        {
            (ComposeMapping a, ComposeMapping b) => MergeMaps(a, b),
            (ComposeSequence a, ComposeSequence b) => MergeLists(a, b, key),
            _ => over,
        };
    }

    private static ComposeMapping MergeMaps(ComposeMapping a, ComposeMapping b)
    {
        var result = a;
        foreach (var entry in b.Entries)
        {
            var existing = result[entry.Key];
            // Service names, network names and the like are keys whose values merge; free-form maps (labels) replace per key.
            result = result.With(entry.Key, existing is null ? entry.Value : Merge(existing, entry.Value, entry.Key));
        }
        return result;
    }

    private static ComposeSequence MergeLists(ComposeSequence a, ComposeSequence b, string key)
    {
        Func<ComposeNode, string> identity = key switch
        {
            "volumes" or "devices" => VolumeTarget,
            "secrets" or "configs" => n => n is ComposeMapping m ? Text(m["source"]) : Text(n),
            _ => Text,
        };
        var items = a.Items.ToList();
        foreach (var item in b.Items)
        {
            var id = identity(item);
            var at = items.FindIndex(x => identity(x) == id);
            if (at >= 0) items[at] = item;
            else items.Add(item);
        }
        return a with { Items = items };
    }

    private static string VolumeTarget(ComposeNode node) => node switch
    {
        ComposeMapping m => Text(m["target"]),
        ComposeScalar { Value: { } v } => v.Split(':') is var parts && parts.Length > 1 ? parts[1] : parts[0],
        _ => Text(node),
    };

    private static string Text(ComposeNode? node) => node switch
    {
        ComposeScalar s => s.Value ?? "",
        ComposeMapping m => string.Join(",", m.Entries.Select(e => $"{e.Key}={Text(e.Value)}")),
        ComposeSequence s => string.Join(",", s.Items.Select(Text)),
        _ => "",
    };

    /// <summary>["A=1", "B"] as {A: 1, B: null}; a mapping is returned as it is.</summary>
    public static ComposeMapping ListToMap(ComposeNode node, string key)
    {
        if (node is ComposeMapping m) return m;
        var entries = new List<ComposeEntry>();
        if (node is ComposeSequence seq)
            foreach (var item in seq.Items)
            {
                if (item is not ComposeScalar { Value: { } text } s) continue;
                var sep = key == "extra_hosts" ? text.IndexOfAny(['=', ':']) : text.IndexOf('=');
                var name = sep < 0 ? text : text[..sep];
                ComposeNode value = sep < 0 ? new ComposeScalar(null, false, s.At) : s with { Value = text[(sep + 1)..] };
                entries.RemoveAll(e => e.Key == name);
                entries.Add(new ComposeEntry(name, s.At, value));
            }
        return new ComposeMapping(entries, node.At);
    }
}
