namespace Agent.Core.Jobs;

/// <summary>A container the labels say belongs to a run: its run id and attempt number, as the agent set them at the create.</summary>
public sealed record LabelledAttempt(string ContainerId, string ContainerName, string RunId, int Attempt, DateTimeOffset Created)
{
    /// <summary>When its container started, when the engine says (an inspect); null when not known.</summary>
    public DateTimeOffset? Started { get; init; }
    /// <summary>When its container ended (it exited or is dead); null while it runs, was never started, or when not known.</summary>
    public DateTimeOffset? Ended { get; init; }
    /// <summary>The exit code of a container that ended.</summary>
    public int? ExitCode { get; init; }
    /// <summary>Its container was created and never started.</summary>
    public bool NeverStarted { get; init; }
}

/// <summary>
/// A run's next attempt is recorded only once its container has started, and the run itself is saved before that
/// container is created: an agent killed in between leaves a container its history does not name. That container is the
/// attempt (never a second one beside it): the attempt the run would start next is the one it adopts.
/// </summary>
public static class AttemptAdoption
{
    /// <summary>The container to take as <paramref name="run"/>'s next attempt, or null: for an active run whose last
    /// attempt has ended (or that has none), the container labelled with the run and the next attempt number that no
    /// attempt names yet; the oldest, when an earlier agent left more than one.</summary>
    public static JobAttempt? Unrecorded(JobRun run, IEnumerable<LabelledAttempt> containers)
    {
        if (!run.IsActive || run.Current is { Finished: false }) return null;
        var next = run.Attempts.Count + 1;
        var recorded = run.Attempts.Select(a => a.ContainerId).ToHashSet(StringComparer.Ordinal);
        var found = containers
            .Where(c => c.RunId == run.Id && c.Attempt == next && !recorded.Contains(c.ContainerId))
            .OrderBy(c => c.Created).ThenBy(c => c.ContainerId, StringComparer.Ordinal)
            .FirstOrDefault();
        return found is null ? null : new JobAttempt(next, found.ContainerId, found.ContainerName, found.Created);
    }
}
