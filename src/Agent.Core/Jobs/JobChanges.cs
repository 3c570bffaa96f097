using Agent.Core.Model;
using Agent.Core.Planning;

namespace Agent.Core.Jobs;

/// <summary>What the manifests want of one CronJob or Job, as far as `agent diff` compares it.</summary>
public sealed record JobWanted(string SpecHash, string TemplateHash, string? Schedule, DateTimeOffset? NextRun);

/// <summary>
/// `agent diff` for CronJobs and Jobs (pure): the manifest against what the runner last worked from (the history in the
/// state dir, or runs found by their container labels). A new CronJob is registered, a changed one uses its new spec
/// from the next schedule time (active runs continue); a new Job runs, a changed Job runs again (kubectl: a Job's
/// template cannot change in place, so it is replaced); a deleted one has its runs' containers removed.
/// </summary>
public static class JobChanges
{
    public const string Held = "held";

    /// <param name="historyLost">Why a Job with neither history nor containers starts no run (its history was lost,
    /// <see cref="HistoryLoss"/>): it is held, not new (probe-15l M2: diff said "runs once").</param>
    public static IReadOnlyList<Change> Describe(ObjectKey key, JobWanted? wanted, JobHistory? history, bool hasContainers, string? historyLost = null)
    {
        var known = history is not null || hasContainers;
        var runs = history?.Runs ?? [];
        if (wanted is null)
            return known ? [new Change("remove", key.ToString(), $"manifest deleted: {runs.Count} run(s) kept and their containers are removed, the history forgotten")] : [];
        if (!known && historyLost is not null && key.Kind == Job.KindName) return [new Change(Held, key.ToString(), "HistoryLost: " + historyLost)];
        var cron = key.Kind == CronJob.KindName;
        if (!known || history is { SpecHash: null, TemplateHash: null } && runs.Count == 0)
            return [cron
                ? new Change("schedule", key.ToString(), $"new CronJob: \"{wanted.Schedule}\"" + (wanted.NextRun is { } n ? $", first run at {n.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}" : ""))
                : new Change("run", key.ToString(), "new Job: runs once")];
        if (history is null)
            // Containers of it but no history here (a fresh or another --state-dir): the runner rebuilds the history
            // from the containers' labels, which name no spec to compare with.
            return [new Change("adopt", key.ToString(), "no history in this state dir: its runs are taken from its containers' labels (diff with the running agent's --state-dir to compare the spec)")];
        var latest = runs.OrderBy(r => r.Start).LastOrDefault();
        var templateChanged = history.TemplateHash is { } t && t != wanted.TemplateHash;
        var specChanged = history.SpecHash is { } s ? s != wanted.SpecHash : templateChanged;
        if (cron)
            return specChanged
                ? [new Change("update", key.ToString(), (templateChanged ? "container template changed" : "schedule, policy or limits changed")
                    + ": used from the next schedule time" + (history.Active.Any() ? "; active runs continue as they are" : ""))]
                : [];
        if (templateChanged || history.TemplateHash is null)
            return [new Change("run", key.ToString(), "Job changed: runs again" + (latest is { IsActive: true } ? $" (active run {latest.Id} is replaced)" : latest is null ? "" : $" (last run {latest.Id} {latest.Phase})"))];
        return [];
    }
}
