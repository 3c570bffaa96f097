using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Agent.Core.Jobs;
using Agent.Core.Json;
using Agent.Core.Model;

namespace Agent.Jobs;

/// <summary>What the state dir keeps for one CronJob, Job or API job: its history, and for API jobs the template.</summary>
public sealed record JobRecord(ObjectKey Key, JobHistory History, JobTemplate? Template = null);

/// <summary>
/// Job histories in memory and in the state dir (<c>jobs/KIND-NAME.json</c>, written whole and renamed into place),
/// so schedule cursors and run history survive restarts. An unreadable file is logged and ignored: the runner then
/// rebuilds what it can from the containers' labels. A Job's history that is corrupt is <see cref="Lost"/>: its
/// containers may be gone (ttlAfterFinished), so "no history" could mean "ran already", and a finished Job (a migration)
/// must not run again on a guess (probe-15i H7). A history file deleted whole is told apart from a Job never run by the
/// <see cref="JobLedger"/> (<see cref="Started"/>). The corrupt file is kept aside, a marker <c>jobs/Job-NAME.json.lost</c>
/// says why, and the Job starts no run until the operator deletes it.
/// </summary>
public sealed class JobHistoryStore
{
    private static readonly JsonSerializerOptions Json = CoreJson.Options(new(JsonSerializerDefaults.Web)
    {
        TypeInfoResolver = Http.AgentJson.State.TypeInfoResolver,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    }, enumNaming: null);

    private readonly string folder;
    private readonly ILogger<JobHistoryStore> logger;
    private readonly ConcurrentDictionary<ObjectKey, JobRecord> records = new();
    private readonly State.UnsavedRecords unsaved;
    private readonly Lock writes = new(); // a retry (UnsavedRecords' timer) and the job's loop write the same file

    /// <param name="unsaved">The agent's one set of unsaved records (DI's singleton): /readyz's <c>records</c> check reads it,
    /// so a store with a set of its own would keep its failures from the probe.</param>
    public JobHistoryStore(string stateDir, ILogger<JobHistoryStore> logger, State.UnsavedRecords unsaved)
    {
        folder = Path.Combine(stateDir, "jobs");
        this.logger = logger;
        this.unsaved = unsaved;
        Started = new JobLedger(stateDir, logger);
        if (Directory.Exists(folder))
            foreach (var file in Directory.GetFiles(folder, "*.json"))
            {
                try
                {
                    var record = JsonSerializer.Deserialize(File.ReadAllText(file), Json.Info<JobRecord>())
                        ?? throw new JsonException("the file holds null");
                    // A file that parses yet is no history of this object ({}, a key alone) is as torn as a truncated one: read as
                    // "never ran", a finished Job would run again (probe-15j M2).
                    if (record.History is null) throw new JsonException("the file holds no history");
                    if (KeyOf(file) is { } named && named != record.Key) throw new JsonException($"the file names {record.Key}, not {named}");
                    records[record.Key] = record;
                }
                catch (Exception e) when (e is JsonException or IOException or NotSupportedException or UnauthorizedAccessException)
                {
                    logger.LogWarning("Job history {File} cannot be read, rebuilding it from container labels: {Error}", file, e.Message);
                    if (KeyOf(file) is { Kind: Job.KindName } key) Torn(key, file, e.Message);
                }
            }
    }

    /// <summary>A torn Job history says the Job started: the ledger names it before the file is kept aside (a restart in
    /// between still holds it), so the runner's first look rebuilds the history from the Job's labelled containers or, with
    /// none left, holds it (<see cref="TornBecause"/>). A ledger that cannot be written holds it now.</summary>
    private void Torn(ObjectKey key, string file, string error)
    {
        try
        {
            Started.Record(key.Name);
        }
        catch (State.StateWriteException e)
        {
            MarkLost(key, $"{error}; and {Started.File} cannot name it ({e.Message})");
            return;
        }
        torn[key] = $"it was torn: {error}" +
                    (State.StateFile.MoveAside(file, "unreadable", logger) is { } aside ? $"; it was kept aside as {Path.GetFileName(aside)}" : "");
    }

    private readonly ConcurrentDictionary<ObjectKey, string> torn = new();

    /// <summary>Why the Job's history file was found torn at this start, or null.</summary>
    public string? TornBecause(ObjectKey key) => torn.GetValueOrDefault(key);

    /// <summary>Why the Job's history is lost (it starts no run), or null: the marker file is there until the operator deletes it.</summary>
    public string? Lost(ObjectKey key) => LostOf(key).Why();

    /// <summary>The Jobs that have started a run.</summary>
    public JobLedger Started { get; }

    /// <summary>Holds the Job (it starts no run) until the operator deletes the marker, which this says how to do. The
    /// ledger then forgets the Job, so deleting the marker lets it run at this start or a later one alike.</summary>
    public void MarkLost(ObjectKey key, string why)
    {
        var holds = $"Job {key.Name} starts no run: a finished Job whose containers are gone (ttlAfterFinished) would run again on a guess. " +
                    "Delete the marker to let it run (once more, if it had run).";
        if (LostOf(key).Mark(why, holds)) Started.Forget(key.Name);
    }

    private readonly ConcurrentDictionary<ObjectKey, State.LostRecord> lost = new();

    private State.LostRecord LostOf(ObjectKey key) => lost.GetOrAdd(key, k => new State.LostRecord(FileOf(k), logger));

    /// <summary>KIND-NAME.json: the kind has no dash.</summary>
    private static ObjectKey? KeyOf(string file)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        var dash = name.IndexOf('-');
        return dash <= 0 ? null : new ObjectKey(name[..dash], name[(dash + 1)..]);
    }

    public JobRecord? Get(ObjectKey key) => records.GetValueOrDefault(key);

    private long saves;

    /// <summary>How many times a history changed: moves with a job's work (a run made, an attempt started or ended, a run
    /// finished or removed), not with its idle steps, whose history is rebuilt equal. The memory release counts it as use,
    /// like a reconcile.</summary>
    public long Saves => Interlocked.Read(ref saves);

    public IReadOnlyList<JobRecord> All(string? kind = null) =>
        records.Values.Where(r => kind is null || r.Key.Kind == kind).OrderBy(r => r.Key.Name, StringComparer.Ordinal).ToList();

    /// <summary>Keeps the record; a history that cannot be written is kept in memory (the runner rebuilds it from labels
    /// after a restart), said once per change of cause rather than at each of the many saves of a run (probe-18 F3: 4-8 lines
    /// a second), and written again every few seconds until it lands (<see cref="State.UnsavedRecords"/>).</summary>
    public void Save(JobRecord record)
    {
        records[record.Key] = record;
        if (SaveCurrent(record.Key)) Interlocked.Increment(ref saves);
    }

    /// <summary>What each history file holds as last written: a job's step rebuilds its history (new lists, so never equal
    /// as a record) even when nothing changed, and an unchanged one is not written again.</summary>
    private readonly ConcurrentDictionary<string, string> written = new(StringComparer.Ordinal);

    /// <summary>Writes the record's history unless the file already holds it; false when it did.</summary>
    private bool SaveCurrent(ObjectKey key)
    {
        var file = FileOf(key);
        lock (writes)
        {
            if (!records.TryGetValue(key, out var record)) // removed meanwhile: nothing to save
            {
                unsaved.Forget(file);
                return false;
            }
            var json = JsonSerializer.Serialize(record, Json.Info<JobRecord>());
            if (written.TryGetValue(file, out var last) && last == json && unsaved.Problem(file) is null && File.Exists(file)) return false;
            try
            {
                State.StateFile.Write(file, json);
                written[file] = json;
                unsaved.Saved(file);
            }
            catch (State.StateWriteException e)
            {
                unsaved.Failed(file, e, $"the job history of {key} is kept in memory (a restart of the agent before it is saved rebuilds it " +
                                        "from its containers' labels)", () => SaveCurrent(key));
            }
            return true;
        }
    }

    /// <summary>Why the job's history is kept in memory only now (the state dir cannot take it), or null when it is saved.</summary>
    public string? Unsaved(ObjectKey key) => unsaved.Problem(FileOf(key));

    /// <summary>Writes the record first and keeps it only then: throws <see cref="State.StateWriteException"/> (changing
    /// nothing) when the state dir cannot take it. For an API job, whose template must survive a restart.</summary>
    public void SaveNew(JobRecord record)
    {
        var json = JsonSerializer.Serialize(record, Json.Info<JobRecord>());
        lock (writes)
        {
            State.StateFile.Write(FileOf(record.Key), json);
            written[FileOf(record.Key)] = json;
        }
        records[record.Key] = record;
    }

    /// <summary>Forgets the job: its history, its lost marker, and (a Job) its entry in the ledger.</summary>
    public void Remove(ObjectKey key)
    {
        if (key.Kind == Job.KindName) Started.Forget(key.Name);
        try
        {
            lock (writes)
            {
                records.TryRemove(key, out _);
                unsaved.Forget(FileOf(key));
                written.TryRemove(FileOf(key), out _);
                LostOf(key).Forget();
                lost.TryRemove(key, out _);
                if (State.StateFile.MayWrite) File.Delete(FileOf(key));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Job history of {Key} cannot be removed: {Error}", key, e.Message);
        }
    }

    public string FileOf(ObjectKey key) => Path.Combine(folder, $"{key.Kind}-{key.Name}.json");
}
