using Agent.Core.Model;
using Agent.State;

namespace Agent.Admission;

/// <summary>
/// Relative binds inside the manifests folder are created as folders when missing, like Compose's short syntax: for a
/// group's replica and a CronJob's or Job's run alike. Called after admission, on the spec it judged, so the folder is
/// made at the path the policy saw, not through a link that may have changed since.
///
/// Only while no container was created with the folder yet: each one a container was created with is remembered
/// (bind-folders.json in the state dir, folder -> object), and once it is gone it is not made again empty. A data folder
/// moved away for a moment (out and back in two steps), renamed or deleted by mistake would otherwise come back empty, a
/// database would start anew in it, and the user's `mv` back would nest the old folder inside the new one. The object
/// says why until the folder is back, or made by hand to start empty. A deleted object's folders are forgotten, so a new
/// manifest that binds one starts like any first create.
/// </summary>
public sealed class BindSourceFolders
{
    public const string FileName = "bind-folders.json";

    private readonly Lock sync = new();
    private readonly Dictionary<string, string> known; // folder -> the object whose container was first created with it
    private readonly string? file;
    private readonly ILogger logger;

    /// <param name="stateDir">Null: remembered in memory only (one-shot commands).</param>
    public BindSourceFolders(string? stateDir, ILogger<BindSourceFolders> logger)
    {
        this.logger = logger;
        file = string.IsNullOrEmpty(stateDir) ? null : Path.Combine(stateDir, FileName);
        // A record that cannot be read is moved aside and starts empty: the folders gone meanwhile are made as before.
        known = new Dictionary<string, string>((file is null ? null : StateFile.ReadJson<Dictionary<string, string>>(file, logger)) ?? [], StringComparer.Ordinal);
    }

    /// <summary>Creates the missing ones no container was created with before, and remembers them all for
    /// <paramref name="owner"/>; the reason when one is gone or cannot be made, else null (then the container may be created).</summary>
    public string? CreateMissing(ContainerSpec spec, ObjectKey owner)
    {
        var sources = spec.Mounts.Where(m => m is { Type: MountType.Bind, CreateSource: true, Source: not null }).Select(m => m.Source!)
            .Distinct(StringComparer.Ordinal).ToList();
        if (sources.Count == 0) return null;
        lock (sync)
        {
            foreach (var source in sources)
            {
                if (File.Exists(source) || Directory.Exists(source)) continue;
                if (known.TryGetValue(source, out var first))
                    return $"the bind folder {source} is gone: containers of {first} were created with it, so it is not made again empty " +
                           "(a folder moved away for a moment or deleted by mistake would come back empty); put it back, or create it " +
                           $"(mkdir {source}) to start with an empty folder";
                try
                {
                    Directory.CreateDirectory(source);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return $"cannot create the bind source folder {source}: {e.Message}";
                }
            }
            var added = false;
            foreach (var source in sources) added |= known.TryAdd(source, owner.ToString());
            if (added) Save();
        }
        return null;
    }

    /// <summary>Forgets the folders of a deleted object.</summary>
    public void Forget(ObjectKey key)
    {
        var text = key.ToString();
        lock (sync)
        {
            var gone = known.Where(k => k.Value == text).Select(k => k.Key).ToList();
            foreach (var source in gone) known.Remove(source);
            if (gone.Count > 0) Save();
        }
    }

    private void Save()
    {
        if (file is null) return;
        StateFile.WriteJsonOrWarn(file, known.OrderBy(k => k.Key, StringComparer.Ordinal).ToDictionary(k => k.Key, k => k.Value, StringComparer.Ordinal), logger,
            "the bind folders containers were created with are remembered while the agent runs");
    }
}
