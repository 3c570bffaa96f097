using Agent.Core.Planning;

namespace Agent.Core.Status;

/// <summary>What one reconcile of a group found and did: everything its conditions are decided from.</summary>
public sealed record ReconcileOutcome(long Generation)
{
    public bool Suspended { get; init; }

    /// <summary>Why it is suspended (Stopped, Down, Suspended), as Ready and Progressing say it; null: "Suspended".</summary>
    public StopState? Stop { get; init; }

    /// <summary>Operations the plan had (0: nothing to change).</summary>
    public int Operations { get; init; }

    /// <summary>Operations that failed, first first (empty when the plan ran through or was empty).</summary>
    public IReadOnlyList<string> Failures { get; init; } = [];

    /// <summary>Failures because a name is held by an object the agent does not own, each naming the holder.</summary>
    public IReadOnlyList<string> NameConflicts { get; init; } = [];

    /// <summary>Every failure is a name conflict: retrying cannot help until the holder goes; the resync looks again.</summary>
    public bool IsNameConflictOnly => NameConflicts.Count > 0 && NameConflicts.Count == Failures.Count && RolledBack.Count == 0;

    /// <summary>"service@hash" of updates that failed their health gate and were rolled back by this reconcile.</summary>
    public IReadOnlyList<string> RolledBack { get; init; } = [];

    /// <summary>Why each of <see cref="RolledBack"/> was rolled back (the engine's error at the start, the last health
    /// check), by "service@hash"; a rollback without one is said in general words.</summary>
    public IReadOnlyDictionary<string, string> RollbackCauses { get; init; } = new Dictionary<string, string>();

    /// <summary>What the plan left as it is on purpose (a rolled-back spec, a crash back-off, a taken name).</summary>
    public IReadOnlyList<Hold> Held { get; init; } = [];

    /// <summary>Set when every replica short of ready was stopped by a user (API stop, or docker stop of a non-"always" one).</summary>
    public string? StoppedByUser { get; init; }

    /// <summary>Services short of ready replicas ("web 1/2 ready"), or null when every replica is ready.</summary>
    public string? NotReady { get; init; }

    /// <summary>How many replicas are short of ready, summed over the services.</summary>
    public int ShortReplicas { get; init; }

    /// <summary>Exited replicas their restart policy leaves so (<see cref="ExitedReplicas"/>): nothing starts them again.</summary>
    public IReadOnlyList<ExitedReplica> Exited { get; init; } = [];

    /// <summary>The command that starts them again ("agent start servicegroup/NAME", "agent up composeproject/NAME").</summary>
    public string StartHint { get; init; } = "agent start";

    /// <summary>Every replica short of ready has exited and stays so by its restart policy (or by a user's stop, counted
    /// in <paramref name="userStopped"/>): nothing will change until a user starts it, so nothing progresses.</summary>
    public bool SettledExited(int userStopped = 0) => NotReady is not null && Exited.Count > 0 && ShortReplicas <= Exited.Count + userStopped;

    /// <summary>Every hold waits on a replica that failed and stays exited (a `service_completed_successfully` migrate that
    /// exited 3 under restart: no): nothing progresses until a user starts it (probe-30 F11: Progressing True
    /// WaitingForReplicas for ever, and `agent wait` ran to its timeout; `docker compose up` fails at once).</summary>
    public bool HeldBehindFailedExits() =>
        NotReady is not null && Held.Count > 0 && Exited.Any(e => e is { Completed: false, WithEngine: false })
        && Held.All(h => h.Reason == Hold.DependencyNotRunning && Exited.Any(e => e is { Completed: false, WithEngine: false } && h.Message.Contains(e.Name, StringComparison.Ordinal)));

    /// <summary>"; o-1 exited with code 1 and restart: no leaves it so (agent start servicegroup/x starts it again)" for the
    /// exited replicas not stopped by the engine (those are said in <see cref="NotReady"/> already), or "".</summary>
    public string ExitedDetail()
    {
        var own = Exited.Where(e => !e.WithEngine).ToList();
        return own.Count == 0 ? "" : $"; {string.Join("; ", own.Select(e => e.Why))} ({StartHint} starts {(own.Count == 1 ? "it" : "them")} again)";
    }
}

/// <summary>A condition to set: type, status, reason, message.</summary>
public sealed record ConditionValue(string Type, bool Status, string Reason, string Message);

/// <summary>
/// Decides a group's Ready, Progressing and Degraded conditions together, from one reconcile's outcome, so they always
/// agree: all three are always set; Ready is never True while an apply failed, operations are pending or replicas are
/// short; and when Ready and Degraded are both True (the previous spec serves after a rollback) their reasons differ,
/// because Ready says what serves and Degraded what went wrong.
/// </summary>
public static class GroupConditions
{
    /// <summary>A name the group needs is held by an object the agent does not own (foreign, or another instance's).</summary>
    public const string NameConflict = "NameConflict";

    /// <summary>Every replica short of ready exited and its restart policy leaves it so (<see cref="ExitedReplicas"/>).</summary>
    public const string Exited = "Exited";

    /// <summary>Every replica short of ready is a one-shot that exited 0 and its restart policy leaves it so: Ready.</summary>
    public const string Completed = "Completed";

    /// <summary>Why a group that serves is applying a newer generation (start-first: the old replicas serve meanwhile).</summary>
    public const string Updating = "Updating";

    /// <summary>
    /// Ready while a plan applies (set before it runs; the reconcile's outcome replaces it). Ready never says UpToDate
    /// about a generation not applied yet (kstatus: observedGeneration lags until it is): a ready group applying a newer
    /// generation stays Ready=True (what served serves) with reason Updating; a plan that stops serving replicas before
    /// their replacements are healthy (stop-first) leaves them not serving: Ready=False/Updating; a Ready left by a held
    /// or deleted manifest no longer holds: Ready=False/Applying. Null: Ready stays as it is (a heal of the applied generation).
    /// </summary>
    public static ConditionValue? ReadyWhileApplying(bool wasReady, bool heldBefore, long observedGeneration, long generation, string applying, bool stopsServing)
    {
        if (heldBefore) return new(ConditionTypes.Ready, false, "Applying", applying);
        if (wasReady && stopsServing)
            return new(ConditionTypes.Ready, false, Updating, $"stop-first update: replicas of generation {observedGeneration} stop before their replacements are healthy, {applying}");
        if (wasReady && observedGeneration != generation)
            return new(ConditionTypes.Ready, true, Updating, $"generation {observedGeneration} serving, {applying}");
        return null;
    }

    /// <summary>
    /// Ready and Progressing while an update applies (its health gates can take minutes), from what serves now: Ready is
    /// True while every wanted replica serves (start-first: the old ones serve until their replacements passed the gate)
    /// and False while some do not (a stop-first update stopped them), both with reason Updating; Progressing says how far
    /// the update is ("updating: 1 of 2 replicas on generation 3"). Null when nothing is wanted (a suspended group).
    /// </summary>
    public static (ConditionValue Ready, ConditionValue Progressing)? WhileUpdating(int serving, int onNewSpec, int replicas, long generation)
    {
        if (replicas <= 0) return null;
        var progress = $"updating: {onNewSpec} of {replicas} replicas on generation {generation}";
        return (new(ConditionTypes.Ready, serving >= replicas, Updating, $"{serving}/{replicas} replicas serving, {progress}"),
            new(ConditionTypes.Progressing, true, Updating, progress));
    }

    /// <summary>What was rolled back and why, each update with its own cause: "update of web@abc was rolled back: its new
    /// container did not become healthy: ... (last health check: exit code 1, no output); the previous containers keep serving".</summary>
    private static string RolledBackMessage(ReconcileOutcome o)
    {
        var updates = o.RolledBack.Distinct(StringComparer.Ordinal).Select(u => o.RollbackCauses.TryGetValue(u, out var cause)
            ? $"update of {u} was rolled back: {cause}"
            : $"update of {u} was rolled back (its new container did not start or did not become healthy)");
        var unexplained = o.RolledBack.Any(u => !o.RollbackCauses.ContainsKey(u)) ? $" {o.Failures.FirstOrDefault()}" : "";
        return $"{string.Join("; ", updates)}; the previous containers keep serving.{unexplained}".TrimEnd();
    }

    /// <summary>Every failure, and what is held back besides, each once: two services failing for different reasons are
    /// both named (probe-60: only the first was, the second only in the log).</summary>
    public static string FailedMessage(ReconcileOutcome o) => Joined(o.Failures.Concat(o.Held.Select(h => h.Message)));

    /// <summary>Each message once, in order: the one way failures are joined, in conditions and in lastError alike.</summary>
    public static string Joined(IEnumerable<string> messages) => string.Join("; ", messages.Distinct(StringComparer.Ordinal));

    public static IReadOnlyList<ConditionValue> Decide(ReconcileOutcome o)
    {
        var failed = o.Failures.Count > 0 && o.RolledBack.Count == 0;
        var degraded = o.RolledBack.Count > 0
            ? new ConditionValue(ConditionTypes.Degraded, true, Hold.RolledBack, RolledBackMessage(o))
            : o.IsNameConflictOnly ? new ConditionValue(ConditionTypes.Degraded, true, NameConflict, string.Join("; ", o.NameConflicts))
            : failed ? new ConditionValue(ConditionTypes.Degraded, true, "ApplyFailed", FailedMessage(o))
            : o.Held.Count > 0 ? new ConditionValue(ConditionTypes.Degraded, true, o.Held[0].Reason, Joined(o.Held.Select(h => h.Message)))
            : o.Exited.Where(e => e is { Completed: false, WithEngine: false }).Select(e => e.Why).ToList() is { Count: > 0 } failedExits
                ? new ConditionValue(ConditionTypes.Degraded, true, Exited, $"{string.Join("; ", failedExits)} ({o.StartHint} starts {(failedExits.Count == 1 ? "it" : "them")} again)")
            : new ConditionValue(ConditionTypes.Degraded, false, "AsExpected", "");

        ConditionValue ready, progressing;
        if (o.IsNameConflictOnly)
        {
            ready = new(ConditionTypes.Ready, false, NameConflict, degraded.Message);
            progressing = new(ConditionTypes.Progressing, false, NameConflict, "stalled until the name is free: looked at again at every resync");
        }
        else if (failed)
        {
            ready = new(ConditionTypes.Ready, false, "ApplyFailed", FailedMessage(o));
            progressing = new(ConditionTypes.Progressing, true, "Retrying", $"retrying with back-off: {FailedMessage(o)}");
        }
        else if (o.Suspended)
        {
            ready = new(ConditionTypes.Ready, false, o.Stop?.Reason ?? StopState.Suspended, o.Stop?.Ready ?? "containers are stopped until the group is resumed");
            progressing = new(ConditionTypes.Progressing, false, o.Stop?.Reason ?? StopState.Suspended, "");
        }
        else if (o.Operations > 0)
        {
            ready = new(ConditionTypes.Ready, false, "Progressing", $"{o.Operations} operation(s) applied, waiting for containers to settle");
            progressing = new(ConditionTypes.Progressing, true, "Applying", $"generation {o.Generation}: {o.Operations} operation(s) applied");
        }
        else if (o.NotReady is not null && o.StoppedByUser is { } stopped)
        {
            ready = new(ConditionTypes.Ready, false, "StoppedByUser", stopped + o.ExitedDetail());
            progressing = new(ConditionTypes.Progressing, false, "StoppedByUser", $"nothing starts what a user stopped until a user does ({o.StartHint}, or a start through the API)");
        }
        else if (o.SettledExited() && o.Exited.All(e => e.Completed))
        {
            // A one-shot that ran to its end (exit 0) under restart no or on-failure: done, as `docker compose up --wait`
            // takes it; Ready so that `agent wait` and the groups of later phases go on. READY still counts what serves (0/1).
            var completed = string.Join("; ", o.Exited.Select(e => e.Why));
            ready = new(ConditionTypes.Ready, true, Completed, $"generation {o.Generation} applied; {completed} ({o.StartHint} runs {(o.Exited.Count == 1 ? "it" : "them")} again)");
            progressing = new(ConditionTypes.Progressing, false, Completed, "");
        }
        else if (o.SettledExited() || o.HeldBehindFailedExits())
        {
            // Exited and left so by the restart policy (restart: no, on-failure after an exit 0 or its last retry, or the
            // engine stopped it): nothing will start it, so nothing progresses (probe-18 F8: WaitingForReplicas forever).
            var message = o.NotReady + o.ExitedDetail();
            ready = new(ConditionTypes.Ready, false, Exited, message);
            progressing = new(ConditionTypes.Progressing, false, Exited, "nothing starts it again until a user does: " + message);
        }
        else if (o.NotReady is { } held && o.Held.FirstOrDefault(h => h.Reason == Hold.Conflict) is { } conflict)
        {
            // Held by foreign containers (docker compose's own): nothing is applied, so nothing progresses.
            ready = new(ConditionTypes.Ready, false, Hold.Conflict, held);
            progressing = new(ConditionTypes.Progressing, false, Hold.Conflict, conflict.Message);
        }
        else if (o.NotReady is { } notReady)
        {
            ready = new(ConditionTypes.Ready, false, "ReplicasNotReady", notReady);
            progressing = new(ConditionTypes.Progressing, true, "WaitingForReplicas", notReady);
        }
        else if (degraded.Status)
        {
            ready = new(ConditionTypes.Ready, true, "ReplicasReady", $"all replicas ready; not everything of generation {o.Generation} applies: {degraded.Message}");
            progressing = new(ConditionTypes.Progressing, false, degraded.Reason, "");
        }
        else
        {
            ready = new(ConditionTypes.Ready, true, "UpToDate", $"generation {o.Generation} applied, all replicas ready");
            progressing = new(ConditionTypes.Progressing, false, "UpToDate", "");
        }
        return [ready, progressing, degraded];
    }
}
