using Agent.State;

namespace Agent.Jobs;

/// <summary>
/// The Jobs that have started a run, in the state dir beside (not inside) their histories: <c>jobs-started.json</c>.
/// Only the runner writes it, before a Job's first run (a read, `agent diff` or a validate never does), whole and renamed
/// into place like every state file, so "the ledger names it, its history is gone" means a run did start. A Job whose
/// manifest is deleted is forgotten with its history: a Job of that name added later is a new Job and runs (as a new
/// Kubernetes Job object does).
/// </summary>
public sealed class JobLedger
{
    public const string FileName = "jobs-started.json";

    private readonly Lock sync = new();
    private readonly ILogger logger;
    private HashSet<string> started;

    public JobLedger(string stateDir, ILogger logger)
    {
        File = Path.Combine(stateDir, FileName);
        this.logger = logger;
        started = StateFile.ReadJson<HashSet<string>>(File, logger) ?? [];
    }

    public string File { get; }

    public bool Contains(string job)
    {
        lock (sync) return started.Contains(job);
    }

    /// <summary>Records that <paramref name="job"/> starts a run; throws <see cref="StateWriteException"/> (and records
    /// nothing) when the state dir cannot take it, so the run does not start unrecorded.</summary>
    public void Record(string job) => Change(job, true);

    /// <summary>Forgets <paramref name="job"/>; a ledger that cannot be written is logged (it then holds the Job once
    /// more if its history goes too, which fails closed).</summary>
    public void Forget(string job) => Change(job, false);

    private void Change(string job, bool add)
    {
        lock (sync)
        {
            if (started.Contains(job) == add) return;
            var next = new HashSet<string>(started, StringComparer.Ordinal);
            if (add) next.Add(job);
            else next.Remove(job);
            var sorted = next.Order(StringComparer.Ordinal).ToList();
            if (add) StateFile.WriteJson(File, sorted);
            else if (!StateFile.WriteJsonOrWarn(File, sorted, logger, $"Job {job} stays in the ledger")) return;
            started = next;
        }
    }
}
