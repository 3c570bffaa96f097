using System.Text.Json;
using Agent.Core.Model;

namespace Agent.Sources;

/// <summary>
/// Which manifest file last defined each object, kept in the state dir (manifest-files.json). After a restart, a file
/// that cannot be read still names the objects it held, so they are held too instead of being read as deleted.
/// </summary>
public sealed class ManifestIndex(string? stateDir)
{
    public const string FileName = "manifest-files.json";

    public string? StateDir => stateDir;
    private string? File => string.IsNullOrEmpty(stateDir) ? null : Path.Combine(stateDir, FileName);

    /// <summary>The map from the last run, or null when there is none (a fresh state dir) or it cannot be read.</summary>
    public Dictionary<ObjectKey, string>? Load(ILogger logger) => File is { } file ? Read(file, logger) : null;

    /// <summary>False when the file could not be written (the caller tries again at its next read).</summary>
    public bool Save(IReadOnlyDictionary<ObjectKey, string> files, ILogger logger) => File is not { } file || Write(file, files, logger);

    public const string NameOwnersFileName = "name-owners.json";

    /// <summary>Which object was accepted with the containers of each <c>"{group}-{service}-"</c> prefix (object -> its
    /// prefixes, space-separated): after a restart the object that runs them keeps those names against a newer manifest
    /// that would name its containers alike (probe-16 F9). Empty when there is no record.</summary>
    public Dictionary<string, ObjectKey> LoadNameOwners(ILogger logger)
    {
        var owners = new Dictionary<string, ObjectKey>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(stateDir)) return owners;
        foreach (var (key, prefixes) in Read(Path.Combine(stateDir, NameOwnersFileName), logger) ?? [])
            foreach (var prefix in prefixes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                owners.TryAdd(prefix, key);
        return owners;
    }

    /// <summary>False when the file could not be written (the caller tries again at its next read).</summary>
    public bool SaveNameOwners(IReadOnlyDictionary<string, ObjectKey> owners, ILogger logger) =>
        string.IsNullOrEmpty(stateDir) || Write(Path.Combine(stateDir, NameOwnersFileName),
            owners.GroupBy(o => o.Value).ToDictionary(g => g.Key, g => string.Join(' ', g.Select(o => o.Key).Order(StringComparer.Ordinal))), logger);

    public const string OrphansFileName = "git-orphans.json";

    /// <summary>Objects kept after their GitRepository was deleted with prune: false (object -> repository).</summary>
    public Dictionary<ObjectKey, string> LoadOrphans(ILogger logger) =>
        string.IsNullOrEmpty(stateDir) ? [] : Read(Path.Combine(stateDir, OrphansFileName), logger) ?? [];

    /// <summary>False when the file could not be written (the caller tries again at its next read).</summary>
    public bool SaveOrphans(IReadOnlyDictionary<ObjectKey, string> orphans, ILogger logger) =>
        string.IsNullOrEmpty(stateDir) || Write(Path.Combine(stateDir, OrphansFileName), orphans, logger);

    public const string WritableBindsFileName = "writable-binds.json";

    /// <summary>Read-write bind sources of the objects applied in the last run (source -> object): until the engine is
    /// listed after a restart, manifests inside them are not read. A fresh state dir gets an empty record at once, so that
    /// a record missing later (deleted, never synced to disk) is known to be lost rather than never written.</summary>
    public IReadOnlyList<Core.Manifests.WritableBind> LoadWritableBinds(ILogger logger)
    {
        if (string.IsNullOrEmpty(stateDir)) return [];
        var file = Path.Combine(stateDir, WritableBindsFileName);
        var earlierRun = System.IO.File.Exists(Path.Combine(stateDir, FileName));
        if (!System.IO.File.Exists(file) && (!Directory.Exists(file) || !earlierRun))
        {
            if (earlierRun) return Lost(file, $"it is missing, although {FileName} shows that an earlier run applied manifests", aside: false, logger);
            SaveWritableBinds([], logger); // a fresh state dir: nothing was ever recorded
            return [];
        }
        try
        {
            if (Directory.Exists(file)) throw new IOException("it is a folder, not a file");
            var stored = JsonSerializer.Deserialize(System.IO.File.ReadAllText(file), Http.AgentJsonContext.Default.DictionaryStringString)
                         ?? throw new JsonException("the record is null, not an object");
            return stored.Select(p => (p.Key, Parsed: ObjectKey.TryParse(p.Value, out var owner), owner))
                .Where(p => p.Parsed).Select(p => new Core.Manifests.WritableBind(p.Key, p.owner)).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return Lost(file, e.Message.Split(" Path:")[0], aside: e is JsonException || Directory.Exists(file), logger);
        }
    }

    /// <summary>Fails closed (probe-15g F2, probe-15h H6): what the record named (folders of containers since deleted) is
    /// unknown, so no manifest is applied until an operator has looked (<see cref="WritableBindsLostFileName"/>). A corrupt
    /// file or a folder in its place is kept aside for that.</summary>
    private List<Core.Manifests.WritableBind> Lost(string file, string reason, bool aside, ILogger logger)
    {
        var movedTo = aside ? State.StateFile.MoveAside(file, reason, logger) : null;
        var why = $"{WritableBindsFileName} could not be read at {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss}Z ({reason})" +
                  (movedTo is null ? "" : $"; it was moved aside to {Path.GetFileName(movedTo)}");
        try
        {
            if (!State.StateFile.MayWrite) lostInThisRun = why; // a command that only looks holds in memory, marks nothing
            else System.IO.File.WriteAllText(Path.Combine(stateDir!, WritableBindsLostFileName), why + "\n");
        }
        catch (Exception write) when (write is IOException or UnauthorizedAccessException)
        {
            logger.LogError("Cannot write {File} ({Error}); manifests are held in this run only", WritableBindsLostFileName, write.Message);
            lostInThisRun = why;
        }
        logger.LogError("{Why}: no manifest of the folder is applied until {Marker} is deleted from the state dir (check first that no container " +
                        "wrote manifests or input files into the manifests folder)", why, Path.Combine(stateDir!, WritableBindsLostFileName));
        return [];
    }

    /// <summary>Written when <see cref="WritableBindsFileName"/> could not be read: while it exists, the folders containers
    /// wrote are unknown and no manifest of the folder is applied. An operator deletes it once the folders are checked.</summary>
    public const string WritableBindsLostFileName = "writable-binds.lost";

    private string? lostInThisRun;

    /// <summary>Why the record of read-write binds is lost (the text of <see cref="WritableBindsLostFileName"/>), or null.</summary>
    public string? WritableBindsLost()
    {
        if (string.IsNullOrEmpty(stateDir)) return null;
        var marker = Path.Combine(stateDir, WritableBindsLostFileName);
        try
        {
            return System.IO.File.Exists(marker) ? (System.IO.File.ReadAllText(marker).Trim() is { Length: > 0 } text ? text : WritableBindsFileName + " was lost") : lostInThisRun;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{WritableBindsFileName} was lost ({marker} cannot be read: {e.Message})";
        }
    }

    public bool SaveWritableBinds(IEnumerable<Core.Manifests.WritableBind> binds, ILogger logger)
    {
        try
        {
            WriteWritableBinds(binds);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or State.StateWriteException)
        {
            logger.LogWarning("Cannot write {File} ({Error}); tried again at the next read of the manifests", WritableBindsFileName, e.Message);
            return false;
        }
    }

    /// <summary>Saves the record or throws <see cref="State.StateWriteException"/> (a create waits for it: probe-15f F3).</summary>
    public void WriteWritableBinds(IEnumerable<Core.Manifests.WritableBind> binds)
    {
        if (string.IsNullOrEmpty(stateDir)) return;
        State.StateFile.WriteJson(Path.Combine(stateDir, WritableBindsFileName), binds.GroupBy(b => b.Source, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Owner.ToString()));
    }

    public const string GenerationsFileName = "generations.json";

    /// <summary>Each object's generation with the fingerprint of the spec it counts ("3 0a1b..."), so that generation goes
    /// on across restarts as metadata.generation does in Kubernetes (probe-22 F10), rising only when the spec changed.</summary>
    public Dictionary<ObjectKey, (long Generation, string Fingerprint)> LoadGenerations(ILogger logger)
    {
        var loaded = new Dictionary<ObjectKey, (long, string)>();
        if (string.IsNullOrEmpty(stateDir)) return loaded;
        foreach (var (key, value) in Read(Path.Combine(stateDir, GenerationsFileName), logger) ?? [])
            if (value.Split(' ') is [var n, var fingerprint] && long.TryParse(n, out var generation) && generation > 0)
                loaded[key] = (generation, fingerprint);
        return loaded;
    }

    /// <summary>False when the file could not be written (the caller tries again at its next read).</summary>
    public bool SaveGenerations(IReadOnlyDictionary<ObjectKey, (long Generation, string Fingerprint)> generations, ILogger logger) =>
        string.IsNullOrEmpty(stateDir) || Write(Path.Combine(stateDir, GenerationsFileName),
            generations.ToDictionary(g => g.Key, g => $"{g.Value.Generation} {g.Value.Fingerprint}"), logger);

    public const string PruneFalseFileName = "git-prune-false.json";

    /// <summary>The GitRepositories recorded with prune: false (GitRepository/NAME -> its manifest file), written while
    /// they are in the manifests: what they brought is kept when they go, also when the agent was down then, or when
    /// <see cref="OrphansFileName"/> could not be written before a restart.</summary>
    public Dictionary<ObjectKey, string> LoadPruneFalse(ILogger logger) =>
        string.IsNullOrEmpty(stateDir) ? [] : Read(Path.Combine(stateDir, PruneFalseFileName), logger) ?? [];

    /// <summary>False when the file could not be written (the caller tries again at its next read).</summary>
    public bool SavePruneFalse(IReadOnlyDictionary<ObjectKey, string> repositories, ILogger logger) =>
        string.IsNullOrEmpty(stateDir) || Write(Path.Combine(stateDir, PruneFalseFileName), repositories, logger);

    private static Dictionary<ObjectKey, string>? Read(string file, ILogger logger)
    {
        if (!System.IO.File.Exists(file)) return null;
        try
        {
            var stored = JsonSerializer.Deserialize(System.IO.File.ReadAllText(file), Http.AgentJsonContext.Default.DictionaryStringString) ?? [];
            return stored.Where(p => ObjectKey.TryParse(p.Key, out _))
                .ToDictionary(p => { ObjectKey.TryParse(p.Key, out var k); return k; }, p => p.Value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            logger.LogWarning("Cannot read {File} ({Error}); until every manifest reads, no object is pruned", file, e.Message);
            return null;
        }
    }

    private static bool Write(string file, IReadOnlyDictionary<ObjectKey, string> map, ILogger logger)
    {
        try
        {
            State.StateFile.WriteJson(file, map.OrderBy(p => p.Key.ToString(), StringComparer.Ordinal).ToDictionary(p => p.Key.ToString(), p => p.Value));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or State.StateWriteException)
        {
            logger.LogWarning("Cannot write {File} ({Error}); tried again at every read of the manifests until it is written (until then, a restart " +
                              "would not know what it records)", file, e.Message);
            return false;
        }
    }
}
