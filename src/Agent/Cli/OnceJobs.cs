using Agent.Core.Jobs;
using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Hosting;
using Agent.Jobs;
using Agent.Sources;
using Microsoft.Extensions.Options;

namespace Agent.Cli;

/// <summary>
/// CronJobs and Jobs in the one-shot commands. `diff`: each against the history the runner last worked from (state dir)
/// and its containers' labels. `apply --once`, as `kubectl apply` followed by `kubectl wait`: a new or changed Job runs
/// to its end through the runner's own loop (retries, deadline), an unchanged one reports its last run; a CronJob is not
/// registered but not
/// scheduled (there is no daemon to keep time: `agent run` does); a deleted one has its runs' containers removed.
/// </summary>
public sealed class OnceJobs(ManifestStore manifests, JobEngine jobs, JobHistoryStore store, IOptions<AgentOptions> options, TimeProvider time, ILoggerFactory loggers)
{
    /// <summary>The job objects of the manifests and of the engine/state dir (deleted ones), CronJobs then Jobs, by name.</summary>
    public async Task<IReadOnlyList<ObjectKey>> KeysAsync(CancellationToken ct)
    {
        var keys = manifests.All().Select(e => e.Key).Where(k => k.Kind is CronJob.KindName or Job.KindName).ToHashSet();
        keys.UnionWith(store.All().Select(r => r.Key).Where(k => k.Kind != Job.ImperativeKind));
        keys.UnionWith((await jobs.ListObjectKeysAsync(ct)).Where(k => k.Kind != Job.ImperativeKind));
        return keys.OrderBy(k => k.Kind).ThenBy(k => k.Name, StringComparer.Ordinal).ToList();
    }

    public async Task<IReadOnlyList<Change>> DiffAsync(ObjectKey key, CancellationToken ct)
    {
        var desired = DesiredJob.From(manifests.Get(key)?.Object);
        var history = store.Get(key)?.History;
        var containers = await jobs.ListAsync(key, ct);
        if (history is not null)
        {
            // As the runner's first look does (JobLoop.ObserveAsync): a history one run behind its containers (a failed
            // save, an older copy) takes the runs they name and the template of the newest one, so a Job whose new
            // template already ran is not said to run again. Containers the runner would remove as never started are not runs.
            var now = time.GetUtcNow();
            var runs = containers.Where(c => c.State != ContainerState.Created
                || NeverStarted.RemoveBecause(history.Runs.FirstOrDefault(r => r.Id == jobs.RunOf(c)), jobs.AttemptOf(c), desired?.Cron, now) is null);
            history = RecoveredRuns.Merge(history, jobs.RunsFromLabels(runs)).History;
        }
        var kept = history?.TemplateHash;
        var wanted = desired is null ? null : new JobWanted(desired.SpecHash, desired.IsTemplate(kept) ? kept! : desired.TemplateHash, desired.Cron?.Schedule.Text,
            desired.Cron is { } c ? c.Schedule.Next(time.GetUtcNow(), CronSchedule.Zone(c.TimeZone) ?? TimeZoneInfo.Utc) : null);
        var hasContainers = history is null && containers.Count > 0;
        return JobChanges.Describe(key, wanted, history, hasContainers, history is null && !hasContainers ? WouldHold(key) : null);
    }

    /// <summary>Why the runner holds a Job that has neither history nor containers: its marker, or what its first look
    /// would mark (the ledger names it: its history was torn or deleted). Null: it never ran.</summary>
    private string? WouldHold(ObjectKey key) =>
        key.Kind != Job.KindName ? null
        : store.Lost(key) ?? (store.Started.Contains(key.Name)
            ? $"{store.TornBecause(key) ?? $"{store.Started.File} says it started, but its history {store.FileOf(key)} is gone"}, and no container of it is left: " +
              $"the runner starts no run and writes {store.FileOf(key)}.lost; delete that marker to let it run (once more, if it had run)"
            : null);

    public async Task<IReadOnlyList<OnceResult>> ApplyAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var keys = await KeysAsync(ct);
        return await Task.WhenAll(keys.Select(key => ApplyAsync(key, timeout, deadline.Token)));
    }

    private async Task<OnceResult> ApplyAsync(ObjectKey key, TimeSpan timeout, CancellationToken deadline)
    {
        var desired = DesiredJob.From(manifests.Get(key)?.Object);
        if (desired is null)
        {
            await jobs.RemoveAllAsync(key, CancellationToken.None);
            store.Remove(key);
            return new OnceResult(key, true, $"{key}: pruned (manifest deleted: its runs' containers removed)");
        }
        if (desired.Cron is { } cron)
        {
            // Registered as kubectl apply creates the object: it exists from now (a later `agent run` treats times since
            // as missed: at most one catch-up within startingDeadline) and `agent diff` is in sync.
            var record = store.Get(key) ?? new JobRecord(key, new JobHistory { Since = time.GetUtcNow() });
            if (record.History.SpecHash != desired.SpecHash) store.Save(record with { History = record.History with { SpecHash = desired.SpecHash } });
            var next = cron.Schedule.Next(time.GetUtcNow(), CronSchedule.Zone(cron.TimeZone) ?? TimeZoneInfo.Utc);
            return new OnceResult(key, true, $"{key}: Registered schedules run under `agent run`, not apply --once"
                + (next is { } n ? $" (next time would be {n.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'})" : ""));
        }
        var before = store.Get(key)?.History;
        // The latest run of this template, kept or the one ttlAfterFinished removed.
        JobRun? LatestOf(JobHistory? history) =>
            history?.Runs.Where(r => r.TemplateHash == desired.TemplateHash).OrderBy(r => r.Start).LastOrDefault()
            ?? (history?.LastRemoved is { } removed && removed.TemplateHash == desired.TemplateHash ? removed : null);
        var loop = new JobLoop(key, () => desired, jobs, store, new JobRunnerSettings(options.Value.JobBackoffBase, options.Value.JobPollInterval, TimeSpan.FromSeconds(30)),
            time, loggers.CreateLogger<JobLoop>());
        using var stop = new CancellationTokenSource();
        var running = loop.RunAsync(stop.Token);
        JobRun? run = null;
        try
        {
            while (true)
            {
                var history = store.Get(key)?.History;
                run = LatestOf(history);
                if (run is { IsActive: false } || (history?.TemplateHash == desired.TemplateHash && run is null) || (history is null && store.Lost(key) is not null)) break;
                await Task.Delay(200, deadline);
            }
        }
        catch (OperationCanceledException)
        {
            // --timeout: the run goes on; `agent run` follows it to its end.
        }
        await stop.CancelAsync();
        await running;
        run = LatestOf(store.Get(key)?.History) ?? run;
        var unchanged = desired.IsTemplate(before?.TemplateHash) ? "unchanged, " : "";
        if (run is null && store.Get(key) is null && store.Lost(key) is { } lost) return new OnceResult(key, false, $"{key}: HistoryLost {lost}");
        return run switch
        {
            null => new OnceResult(key, true, $"{key}: Complete ({unchanged}its last run is no longer kept)"),
            { IsActive: true } r => new OnceResult(key, false,
                $"{key}: NotReady run {r.Id} still running after --timeout {Core.Manifests.Durations.Format(timeout)}; `agent run` follows it to its end"),
            { Phase: RunPhase.Succeeded } r => new OnceResult(key, true, $"{key}: Complete ({unchanged}run {r.Id}: {JobConditions.Outcome(r)})"),
            { } r => new OnceResult(key, false, $"{key}: Failed ({unchanged}run {r.Id}: {JobConditions.Outcome(r)})"),
        };
    }
}
