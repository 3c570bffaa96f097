using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.Core.Json;
using Agent.Core.Model;

namespace Agent.Core.Sources;

/// <summary>A manifest file as the torn-write rule judges it: its size without its last line end, whether its last line
/// has one, and whether its last meaningful line leaves a block open (a key with no value, a bare <c>-</c>, a block
/// scalar indicator, an unclosed flow collection). Never its content.</summary>
public sealed record ManifestShape(long Length, bool Terminated, bool EndsOpen)
{
    public static ManifestShape Of(string text)
    {
        var lineEnd = text.EndsWith("\r\n", StringComparison.Ordinal) ? 2 : text.Length > 0 && text[^1] is '\n' or '\r' ? 1 : 0;
        return new(text.Length - lineEnd, text.Length == 0 || lineEnd > 0, OpensBlock(LastMeaningfulLine(text)));
    }

    private static string LastMeaningfulLine(string text) =>
        text.Split('\n').Select(l => l.TrimEnd('\r', ' ', '\t')).LastOrDefault(l => l.TrimStart().Length > 0 && !l.TrimStart().StartsWith('#')) ?? "";

    private static bool OpensBlock(string line)
    {
        var trimmed = line.Trim();
        if (trimmed.Length == 0) return false;
        if (trimmed == "-" || trimmed.EndsWith(':')) return true;
        if (trimmed.EndsWith('|') || trimmed.EndsWith('>') || trimmed.EndsWith("|-") || trimmed.EndsWith(">-")) return trimmed.Contains(": ") || trimmed.StartsWith('-');
        return trimmed.Count(c => c is '[' or '{') > trimmed.Count(c => c is ']' or '}');
    }
}

/// <summary>
/// A manifest that got shorter than at its object's last good read and ends without a final line end, in an open
/// block (a key with no value yet), or is the start of its last good text cut at a line end, looks torn: a copy or an
/// editor still writing it. Such a read that changes a service
/// the object runs (a spec with fields missing, fewer replicas) holds the object at its last good spec for
/// Agent:PruneDelay, as a service gone from the manifest is (probe-15d H14); a complete, well-formed edit applies at once.
/// </summary>
public static class TornManifest
{
    /// <summary>Shorter than <paramref name="lastGood"/> (the text at the last good read) and ending without a final
    /// line end, in an open block, or exactly where a line of the last good text ends (the start of the same file
    /// written again, cut at a line end).</summary>
    public static bool LooksTorn(string now, string lastGood)
    {
        if (!Shorter(now, lastGood)) return false;
        var shape = ManifestShape.Of(now);
        return !shape.Terminated || shape.EndsOpen || now.Length > 0 && lastGood.StartsWith(now, StringComparison.Ordinal);
    }

    /// <summary>Shorter than <paramref name="lastGood"/>, final line ends aside.</summary>
    public static bool Shorter(string now, string lastGood) => ManifestShape.Of(now).Length < ManifestShape.Of(lastGood).Length;

    /// <summary>The services of <paramref name="last"/> that <paramref name="next"/> still lists with another spec, each
    /// as "name" or "name (replicas 3 -> 1)"; added and removed services are not changes here (removal has its own delay).</summary>
    public static IReadOnlyList<string> ChangedServices(ServiceGroup last, ServiceGroup next)
    {
        var changed = new List<string>();
        foreach (var before in last.Spec.Services)
        {
            if (next.Spec.Services.FirstOrDefault(s => s.Name == before.Name) is not { } after || Same(before, after)) continue;
            changed.Add(after.Replicas < before.Replicas ? $"{before.Name} (replicas {before.Replicas} -> {after.Replicas})" : before.Name);
        }
        return changed;
    }

    /// <summary>The services of <paramref name="last"/> that <paramref name="next"/> lists with fields they had gone (a
    /// mount, a healthcheck, an env entry, an update policy back to the default), each as "name (lost: a, b)". A file cut
    /// at a line end in the middle of an edit is neither open nor the start of its last good text, but it drops what came
    /// after the cut (probe-15n F4: a start-first, health-gated service applied without its update policy went down whole).</summary>
    public static IReadOnlyList<string> ServicesLosingFields(ServiceGroup last, ServiceGroup next)
    {
        var losing = new List<string>();
        foreach (var before in last.Spec.Services)
        {
            if (next.Spec.Services.FirstOrDefault(s => s.Name == before.Name) is not { } after) continue;
            var lost = new List<string>();
            Lost(Node(before), Node(after), "", lost);
            if (before.Update != UpdatePolicy.Default && after.Update == UpdatePolicy.Default && !lost.Contains("update")) lost.Add("update");
            if (after.Replicas < before.Replicas) lost.Add($"replicas {before.Replicas} -> {after.Replicas}");
            if (lost.Count > 0) losing.Add($"{before.Name} (lost: {string.Join(", ", lost.Distinct())})");
        }
        return losing;
    }

    private static JsonNode? Node(ServiceSpec spec) => JsonSerializer.SerializeToNode(spec, CoreJsonContext.Default.ServiceSpec);

    /// <summary>Paths set in <paramref name="before"/> that <paramref name="after"/> has unset, empty, or with fewer entries of a list of objects.</summary>
    private static void Lost(JsonNode? before, JsonNode? after, string path, List<string> lost)
    {
        switch (before)
        {
            case JsonObject fields:
                foreach (var (name, value) in fields)
                {
                    if (IsEmpty(value)) continue;
                    var at = path.Length == 0 ? name : $"{path}.{name}";
                    var now = (after as JsonObject)?[name];
                    if (IsEmpty(now)) lost.Add(Shown(at));
                    else Lost(value, now, at, lost);
                }
                break;
            // Fewer entries of a list of things (volumes, ports, dependencies); an argument list (command, a healthcheck's
            // test) is one value written on one line, and a shorter one is an edit.
            case JsonArray items when after is JsonArray nowItems && nowItems.Count < items.Count && items.Any(i => i is JsonObject):
                lost.Add(Shown(path));
                break;
        }
    }

    private static bool IsEmpty(JsonNode? node) =>
        node is null || node is JsonArray { Count: 0 } || node is JsonObject { Count: 0 } || node is JsonValue v && v.TryGetValue<string>(out var text) && text.Length == 0;

    /// <summary>A field as a manifest names it, without the model's nesting (container.mounts: mounts).</summary>
    private static string Shown(string path)
    {
        var parts = path.Split('.').Select(p => p.Length == 0 ? p : char.ToLowerInvariant(p[0]) + p[1..]).ToList();
        if (parts.Count > 1 && parts[0] == "container") parts.RemoveAt(0);
        return string.Join('.', parts) is "mounts" ? "volumes" : string.Join('.', parts);
    }

    private static bool Same(ServiceSpec a, ServiceSpec b) =>
        JsonSerializer.Serialize(a, CoreJsonContext.Default.ServiceSpec) == JsonSerializer.Serialize(b, CoreJsonContext.Default.ServiceSpec);

    /// <summary>The error a held object shows.</summary>
    public static string Message(string now, IReadOnlyList<string> services, DateTimeOffset since, TimeSpan delay, bool losesFields = false) =>
        $"looks cut short since {since:HH:mm:ss} (shorter than at the last good read and it {(losesFields ? "drops fields its services have" : $"ends {Ending(ManifestShape.Of(now))}")}) " +
        $"and would change service(s) {string.Join(", ", services)}: the object is held at its last good spec for up to {Math.Ceiling(delay.TotalSeconds)} s " +
        "(Agent:PruneDelay) in case it is still being written; a complete file applies at once, and after the delay this one is taken as written";

    private static string Ending(ManifestShape shape) =>
        !shape.Terminated ? "without a final line end" : shape.EndsOpen ? "in a key with no value yet" : "where a line of the last good read ends";
}
