using Agent.Core.Model;
using Agent.Core.Sources;
using Agent.Hosting;
using Agent.Sources;
using Microsoft.Extensions.Options;

namespace Agent.Reconciliation;

/// <summary>
/// Applies the mass-prune guard to each new read of the manifests: when the read would remove too many of the managed
/// objects, those removals are held until their manifests come back or an admin confirms them (a partial restore
/// releases only what it restored). The held set is kept in the state dir (<see cref="PruneHolds"/>) across restarts.
/// CronJobs and Jobs count like groups: those with runs in the engine or a history in the state dir are managed objects.
/// </summary>
public sealed class PruneGate
{
    private readonly ManifestStore manifests;
    private readonly EngineObserver observer;
    private readonly Jobs.JobHistoryStore jobs;
    private readonly PruneGuard guard;
    private readonly IOptions<AgentOptions> options;
    private readonly ILogger<PruneGate> logger;
    private readonly PruneHolds holds;
    private readonly Status.StatusStore status;
    private readonly SemaphoreSlim evaluating = new(1, 1);
    private readonly Lock sync = new();
    private HashSet<ObjectKey> confirmed;
    private HashSet<ObjectKey> blocked;
    // Removals this gate let through, being carried out (stops take their grace period): going, never listed as held.
    private readonly HashSet<ObjectKey> underWay = [];

    public PruneGate(ManifestStore manifests, EngineObserver observer, Jobs.JobHistoryStore jobs, PruneGuard guard, IOptions<AgentOptions> options,
        Status.StatusStore status, ILogger<PruneGate> logger, State.UnsavedRecords? unsaved = null)
    {
        (this.manifests, this.observer, this.jobs, this.guard, this.options, this.status, this.logger) = (manifests, observer, jobs, guard, options, status, logger);
        holds = new PruneHolds(options.Value.StateDir, logger, unsaved);
        var kept = holds.Load();
        holds.KeepReserve();
        (blocked, confirmed) = (kept.StillHeld, kept.Confirmed);
        confirmedAtStart = confirmed.Count > 0;
        if (blocked.Count > 0)
            logger.LogWarning("Mass prune still held from the last run: {Objects} (until their manifests come back or an admin confirms)", string.Join(", ", blocked));
    }
    private PruneDecision? decision;
    // Confirmations kept from the last run: said at the first judgement, which knows which of them still stand.
    private bool confirmedAtStart;
    private long evaluatedVersion = -1;

    /// <summary>The removals held now, and why; null when nothing is held.</summary>
    public PruneDecision? Current
    {
        get { lock (sync) return decision is null ? null : decision with { Message = Said(decision.Message) }; }
    }

    /// <summary>The hold's message, and when the hold is not saved, why and what that means.</summary>
    private string Said(string message) => holds.Unsaved is { } unsaved ? $"{message}. The hold is not saved: {unsaved}" : message;

    /// <summary>How many objects the newest judged read counted as managed (0 before the first).</summary>
    public int Managed
    {
        get { lock (sync) return managedCount; }
    }

    private int managedCount;

    public int BlockedCount
    {
        get { lock (sync) return blocked.Count; }
    }

    /// <summary>Null when <paramref name="key"/> may be pruned now (the caller prunes it: its removal is under way until
    /// <see cref="Removed"/> or <see cref="Settled"/>); otherwise why not.</summary>
    public async Task<string?> CheckAsync(ObjectKey key, CancellationToken ct)
    {
        if (options.Value.AllowMassPrune) return null;
        if (manifests.ReadVersion != Interlocked.Read(ref evaluatedVersion)) await EvaluateAsync(ct);
        lock (sync)
        {
            if (blocked.Contains(key)) return Said(decision?.Message ?? "");
            underWay.Add(key);
            return null;
        }
    }

    /// <summary>The prune of <paramref name="key"/> stopped before its end (its manifest is back): it is no longer under way.</summary>
    public void Settled(ObjectKey key)
    {
        lock (sync) underWay.Remove(key);
    }

    /// <summary>Why the guard holds the removal of <paramref name="key"/> as last judged (no new judgement), or null: the
    /// job runner keeps a held CronJob on its schedule at its last good spec meanwhile.</summary>
    public string? HeldNow(ObjectKey key)
    {
        if (options.Value.AllowMassPrune) return null;
        lock (sync) return blocked.Contains(key) ? Said(decision?.Message ?? "") : null;
    }

    /// <summary>Judges the newest read once: what it would remove against everything managed (in the engine or desired).</summary>
    public async Task EvaluateAsync(CancellationToken ct)
    {
        await evaluating.WaitAsync(ct);
        try
        {
            var version = manifests.ReadVersion;
            if (version == Interlocked.Read(ref evaluatedVersion)) return;
            holds.KeepReserve(); // made again once there is room
            var inEngine = await observer.ListObjectKeysAsync(ct, withJobRuns: true);
            HashSet<ObjectKey> held;
            lock (sync) held = blocked.Where(k => manifests.KeptFrom(k) is null).ToHashSet();
            var (managed, removals) = Judge(inEngine, jobs.All().Select(r => r.Key), manifests.All(), manifests.KeepReason, held);
            var next = Decide(managed, removals);
            lock (sync)
            {
                var nextBlocked = next.Blocked ? next.Removals.ToHashSet() : [];
                if (!nextBlocked.SetEquals(blocked)) holds.Save(nextBlocked);
                if (nextBlocked.Count > 0 && (!nextBlocked.SetEquals(blocked) || decision?.Message != next.Message))
                {
                    if (!nextBlocked.SetEquals(blocked)) logger.LogWarning("Mass prune blocked: {Message}", next.Message);
                    foreach (var key in nextBlocked) status.MarkPruneBlocked(key, Said(next.Message));
                }
                else if (nextBlocked.Count == 0 && blocked.Count > 0)
                    logger.LogInformation("Mass prune no longer blocked: the manifests changed again ({Count} removal(s) now, within the guard of {Guard})", next.Removals.Count, guard.Percent);
                blocked = nextBlocked;
                decision = next.Blocked ? next : null;
                managedCount = managed;
                Interlocked.Exchange(ref evaluatedVersion, version);
            }
        }
        finally
        {
            evaluating.Release();
        }
    }

    /// <summary>What one read judges: the managed objects (with something in the engine, a job history in the state dir,
    /// or a manifest that selects this host) and which of them it would remove (no manifest, nothing else holding them).
    /// API jobs are the API's, never a manifest's: they are not counted. A removal <paramref name="held"/> from an earlier
    /// read stays a removal while a read that cannot judge deletions keeps it (a GitRepository with no checkout yet):
    /// probe-30 F6, that read of "0 removals" ended the hold, and the held objects were pruned unconfirmed once it passed.</summary>
    public static (int Managed, HashSet<ObjectKey> Removals) Judge(IEnumerable<ObjectKey> inEngine, IEnumerable<ObjectKey> jobHistories,
        IEnumerable<DesiredEntry> entries, Func<ObjectKey, string?> keepReason, IReadOnlySet<ObjectKey>? held = null)
    {
        var existing = inEngine.Concat(jobHistories).Where(k => k.Kind != Job.ImperativeKind).ToHashSet();
        var desired = entries.Where(e => e.NotSelected is null).Select(e => e.Key).ToHashSet();
        var removals = existing.Where(k => !desired.Contains(k) && (keepReason(k) is null || held?.Contains(k) == true)).ToHashSet();
        return (existing.Union(desired).Count(), removals);
    }

    /// <summary>Judges the newest read if it was not yet (the files may have come back: then nothing is held any more);
    /// when the engine cannot be asked, what was judged last stands.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        if (manifests.ReadVersion == Interlocked.Read(ref evaluatedVersion)) return;
        try
        {
            await EvaluateAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogDebug("Mass-prune guard not judged again: {Error}", e.Message);
        }
    }

    private PruneDecision Decide(int managed, HashSet<ObjectKey> removals)
    {
        lock (sync)
        {
            underWay.IntersectWith(removals); // back in the manifests, or gone: no longer under way
            var (next, standing) = guard.Decide(managed, removals, blocked, confirmed, underWay);
            if (confirmedAtStart)
            {
                // probe-28 F4: the log named objects whose manifests were back (and which were not removed).
                confirmedAtStart = false;
                if (standing.Count > 0)
                    logger.LogWarning("Mass prune confirmed before the agent stopped: finishing the removal of {Objects}", string.Join(", ", standing.Select(k => k.ToString()).Order(StringComparer.Ordinal)));
                if (confirmed.Except(standing).ToList() is { Count: > 0 } lapsed)
                    logger.LogInformation("Mass prune confirmed before the agent stopped: the confirmation of {Objects} lapsed (their manifests are back, or nothing of them is left): they are not removed",
                        string.Join(", ", lapsed.Select(k => k.ToString()).Order(StringComparer.Ordinal)));
            }
            if (!standing.SetEquals(confirmed))
            {
                confirmed = standing.ToHashSet();
                holds.TrySaveConfirmed(confirmed);
            }
            return next;
        }
    }

    /// <summary>Whether an admin's confirmation stands: each read is judged at once while one does, so it lapses as soon as
    /// its object's manifest is back (not at the next prune, which it would let through: probe-25).</summary>
    public bool HasConfirmations
    {
        get { lock (sync) return confirmed.Count > 0; }
    }

    /// <summary>The removal of <paramref name="key"/> is done (nothing of it is left): its confirmation is used up, so a
    /// later removal of an object of that name is judged anew (probe-25: a confirmation kept after its prune let an
    /// emptied folder prune a running project past the guard).</summary>
    public void Removed(ObjectKey key)
    {
        lock (sync)
        {
            underWay.Remove(key);
            if (!confirmed.Remove(key)) return;
            holds.TrySaveConfirmed(confirmed);
        }
    }

    /// <summary>An admin's word: the held removals go ahead. Returns them. The confirmation is in the state dir before
    /// anything is removed (a restart half-way finishes the prune); a state dir that cannot take it throws
    /// <see cref="State.StateWriteException"/> and nothing is confirmed.</summary>
    /// <param name="only">The objects the admin confirms (as <c>Kind/name</c>): the confirmation goes ahead only when they
    /// are exactly what is held now, else nothing is confirmed (probe-26 F6: the held set grew between the look and the
    /// confirm, and all of it was removed). Null: whatever is held.</param>
    public IReadOnlyList<ObjectKey> Confirm(string who, IReadOnlySet<string>? only = null)
    {
        lock (sync)
        {
            var list = decision?.Removals ?? [];
            if (list.Count == 0) return list;
            if (only is not null && !only.SetEquals(list.Select(k => k.ToString()))) return [];
            var next = confirmed.Union(blocked).ToHashSet();
            holds.SaveConfirmed(next);
            confirmed = next;
            logger.LogWarning("Mass prune confirmed by {Who}: removing {Objects}", who, string.Join(", ", list));
            blocked = [];
            holds.Save(blocked);
            decision = null;
            return list;
        }
    }
}
