using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Telemetry;

namespace Agent.Sources;

/// <summary>One object's desired state: what loaded last, and whether the manifest is broken now.</summary>
public sealed record DesiredEntry(ObjectKey Key, IManifestObject? Object, long Generation, IReadOnlyList<ManifestError> Errors)
{
    /// <summary>The manifest exists but does not load: <see cref="Object"/> is the last good state, to be left alone.</summary>
    public bool IsBroken => Errors.Count > 0;
}

/// <summary>
/// The desired state from the manifests folder. A manifest that stops loading keeps its last good object;
/// only a manifest that is really gone (its file deleted, or its document removed) reads as deleted.
/// </summary>
public sealed class ManifestStore(ManifestFolder folder, SecurityPolicy policy, ILogger<ManifestStore> logger)
{
    private readonly Lock sync = new();
    private Dictionary<ObjectKey, DesiredEntry> entries = [];
    private Dictionary<ObjectKey, string> files = [];
    private IReadOnlyList<ManifestError> unattributed = [];

    public string Root => folder.Root;

    public DesiredEntry? Get(ObjectKey key)
    {
        lock (sync) return entries.GetValueOrDefault(key);
    }

    public IReadOnlyList<DesiredEntry> All()
    {
        lock (sync) return entries.Values.ToList();
    }

    /// <summary>Every error of the last load: of broken objects, and of documents whose object cannot even be named
    /// (broken YAML, no kind or name).</summary>
    public IReadOnlyList<ManifestError> Errors
    {
        get { lock (sync) return [.. entries.Values.SelectMany(e => e.Errors), .. unattributed]; }
    }

    /// <summary>Reads the folder again; returns the keys whose entry changed (added, changed, broken, fixed or deleted).</summary>
    public IReadOnlySet<ObjectKey> Reload()
    {
        ManifestSet set;
        try
        {
            set = folder.Load(policy);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Manifests folder {Folder} cannot be read, keeping the last desired state: {Error}", folder.Root, e.Message);
            return new HashSet<ObjectKey>();
        }
        var errorCount = set.Errors.Count();
        if (errorCount > 0) AgentMetrics.ManifestLoadErrors.Add(errorCount);

        lock (sync)
        {
            var next = new Dictionary<ObjectKey, DesiredEntry>();
            var nextFiles = new Dictionary<ObjectKey, string>();
            var valid = set.Objects;
            var broken = set.Documents.Where(d => !d.IsValid && d.Key is not null).GroupBy(d => d.Key!.Value)
                .ToDictionary(g => g.Key, g => (IReadOnlyList<ManifestError>)g.SelectMany(d => d.Errors).ToList());
            var unknownFiles = set.FilesWithUnknownObjects;

            foreach (var (key, obj) in valid)
            {
                if (broken.ContainsKey(key)) continue; // a duplicate: the broken copy decides
                var previous = entries.GetValueOrDefault(key);
                var generation = previous is null ? 1 : Fingerprint(previous.Object) == Fingerprint(obj) ? previous.Generation : previous.Generation + 1;
                next[key] = new DesiredEntry(key, obj, generation, []);
                nextFiles[key] = obj.Source.File;
            }
            foreach (var (key, errors) in broken)
            {
                var previous = entries.GetValueOrDefault(key);
                next[key] = new DesiredEntry(key, previous?.Object, previous?.Generation ?? 0, errors);
                nextFiles[key] = errors[0].File;
            }
            // A file that no longer parses far enough to name its objects keeps the objects it had, as broken.
            foreach (var (key, file) in files)
            {
                if (next.ContainsKey(key) || !unknownFiles.Contains(file)) continue;
                var previous = entries[key];
                next[key] = previous with { Errors = set.Documents.Where(d => d.Key is null && d.Source.File == file).SelectMany(d => d.Errors).ToList() };
                nextFiles[key] = file;
            }

            var changed = next.Keys.Concat(entries.Keys)
                .Where(k => !next.TryGetValue(k, out var n) || !entries.TryGetValue(k, out var o) || !Same(n, o))
                .ToHashSet();
            entries = next;
            files = nextFiles;
            unattributed = set.Documents.Where(d => d.Key is null).SelectMany(d => d.Errors).ToList();
            return changed;
        }
    }

    private static bool Same(DesiredEntry a, DesiredEntry b) =>
        a.Generation == b.Generation && a.Errors.SequenceEqual(b.Errors)
        && (ReferenceEquals(a.Object, b.Object) || Fingerprint(a.Object) == Fingerprint(b.Object));

    /// <summary>Identifies an object's content (metadata and spec, not where in the file it stands) for generations.</summary>
    public static string Fingerprint(IManifestObject? obj) => obj switch
    {
        null => "",
        ServiceGroup g => Hash(JsonSerializer.Serialize(new { g.Metadata, g.Spec })),
        _ => Hash(JsonSerializer.Serialize(obj, obj.GetType())),
    };

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
}
