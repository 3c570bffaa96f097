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
/// rebuilds what it can from the containers' labels.
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

    public JobHistoryStore(string stateDir, ILogger<JobHistoryStore> logger)
    {
        folder = Path.Combine(stateDir, "jobs");
        this.logger = logger;
        if (!Directory.Exists(folder)) return;
        foreach (var file in Directory.GetFiles(folder, "*.json"))
        {
            try
            {
                var record = JsonSerializer.Deserialize(File.ReadAllText(file), Json.Info<JobRecord>());
                if (record is not null) records[record.Key] = record;
            }
            catch (Exception e) when (e is JsonException or IOException or NotSupportedException or UnauthorizedAccessException)
            {
                logger.LogWarning("Job history {File} cannot be read, rebuilding it from container labels: {Error}", file, e.Message);
            }
        }
    }

    public JobRecord? Get(ObjectKey key) => records.GetValueOrDefault(key);

    public IReadOnlyList<JobRecord> All(string? kind = null) =>
        records.Values.Where(r => kind is null || r.Key.Kind == kind).OrderBy(r => r.Key.Name, StringComparer.Ordinal).ToList();

    /// <summary>Keeps the record; a history that cannot be written is logged (the runner rebuilds it from labels).</summary>
    public void Save(JobRecord record)
    {
        records[record.Key] = record;
        try
        {
            State.StateFile.Write(FileOf(record.Key), JsonSerializer.Serialize(record, Json.Info<JobRecord>()));
        }
        catch (State.StateWriteException e)
        {
            logger.LogWarning("Job history of {Key} cannot be saved: {Error}", record.Key, e.Message);
        }
    }

    /// <summary>Writes the record first and keeps it only then: throws <see cref="State.StateWriteException"/> (changing
    /// nothing) when the state dir cannot take it. For an API job, whose template must survive a restart.</summary>
    public void SaveNew(JobRecord record)
    {
        State.StateFile.Write(FileOf(record.Key), JsonSerializer.Serialize(record, Json.Info<JobRecord>()));
        records[record.Key] = record;
    }

    public void Remove(ObjectKey key)
    {
        records.TryRemove(key, out _);
        try
        {
            File.Delete(FileOf(key));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Job history of {Key} cannot be removed: {Error}", key, e.Message);
        }
    }

    private string FileOf(ObjectKey key) => Path.Combine(folder, $"{key.Kind}-{key.Name}.json");
}
