using Agent.Sources;

namespace Agent.Http;

/// <summary>Why which images the manifests use is not all known now: the folder cannot be read or was not read yet, or
/// an object is held without its spec (its manifest cannot be read, as after an agent restart). Any image could then be
/// one it uses, and a failed read is never a deletion: a prune of every unused image, or a removal that deletes an
/// image, waits (or needs force).</summary>
public sealed record HeldImageUses(string Why, IReadOnlyList<string> Objects)
{
    /// <summary>Null when every object's images are known.</summary>
    public static HeldImageUses? Of(string? folderError, long readVersion, IEnumerable<DesiredEntry> entries)
    {
        if (folderError is not null) return new($"the manifests folder cannot be read ({folderError}), so which images its objects use is not known", []);
        if (readVersion == 0) return new("the manifests have not been read yet, so which images they use is not known", []);
        var held = entries.Where(e => e.Object is null && e.NotSelected is null).OrderBy(e => e.Key.ToString(), StringComparer.Ordinal).ToList();
        if (held.Count == 0) return null;
        var names = held.Select(e => e.Key.ToString()).ToList();
        return new($"{string.Join(", ", held.Select(e => $"{e.Key} ({e.HeldReason})"))} {(held.Count == 1 ? "is" : "are")} held without {(held.Count == 1 ? "its" : "their")} spec: " +
                   $"{(held.Count == 1 ? "its manifest" : "their manifests")} cannot be read now, so which images {(held.Count == 1 ? "it uses" : "they use")} is not known", names);
    }
}
