namespace Agent.Core.Planning;

/// <summary>An ordered DAG of operations: each runs after the ones in its <see cref="Operation.After"/>.</summary>
public sealed record Plan(IReadOnlyList<Operation> Operations)
{
    public static readonly Plan Empty = new([]);

    public bool IsEmpty => Operations.Count == 0;

    /// <summary>When nothing can be done now but something should be tried later (crash backoff).</summary>
    public TimeSpan? RequeueAfter { get; init; }

    /// <summary>What the plan leaves as it is on purpose, with why (a rolled-back spec, a backoff), for status.</summary>
    public IReadOnlyList<Hold> Held { get; init; } = [];

    /// <summary>Compose-made networks and volumes ("network:x", "volume:y") this plan takes over (`adopt: true`): the
    /// reconciler records them in the state dir before it runs the plan, and treats them as the project's from then on.</summary>
    public IReadOnlyList<string> Adopted { get; init; } = [];

    /// <summary>How the cause of a stop-first update's stop ends.</summary>
    public const string StopFirstCause = ", stop-first";

    /// <summary>The plan stops running replicas before their replacements run (a stop-first update): they do not serve meanwhile.</summary>
    public bool StopsServingReplicas => Operations.Any(o => o.Kind == OperationKind.StopContainer && o.Cause.EndsWith(StopFirstCause, StringComparison.Ordinal));

    public override string ToString() => string.Join("\n", Operations);
}

/// <summary>Something a plan leaves as it is on purpose: a CamelCase reason (the Degraded condition's) and a message, and
/// the container it is about when it is about one.</summary>
public sealed record Hold(string Reason, string Message, string? Container = null)
{
    public const string RolledBack = "RolledBack";
    public const string CrashLoopBackOff = "CrashLoopBackOff";
    public const string BackoffLimitExceeded = "BackoffLimitExceeded";
    public const string NameTaken = "NameTaken";
    public const string PruneDisabled = "PruneDisabled";

    /// <summary>A service (or object) gone from its manifest for less than Agent:PruneDelay: removed once the delay has passed.</summary>
    public const string PrunePending = "PrunePending";

    /// <summary>A compose project whose containers (or network, volumes) `docker compose up` made, without `adopt: true`.</summary>
    public const string Conflict = "Conflict";

    /// <summary>Operations of a dependent that wait for a dependency (healthy, completed) whose container is left stopped
    /// (a user stopped it, its restart policy leaves it exited): not run until the dependency runs again.</summary>
    public const string DependencyNotRunning = "DependencyNotRunning";

    /// <summary>A rolling update stopped: a replica already on the new spec does not serve (it crashes, exited with a
    /// failure), so the replicas not reached yet keep the previous spec until it does or the manifest changes.</summary>
    public const string UpdatePaused = "UpdatePaused";

    public override string ToString() => Message;
}
