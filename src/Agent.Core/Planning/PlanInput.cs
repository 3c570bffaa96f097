using Agent.Core.Model;

namespace Agent.Core.Planning;

/// <summary>Everything the planner decides from, for one object. <see cref="Desired"/> is null when the manifest was deleted.</summary>
public sealed record PlanInput(
    ObjectKey Key,
    ServiceGroup? Desired,
    ObservedState Observed,
    AgentLabels Labels,
    DateTimeOffset Now)
{
    /// <summary>spec.suspend, or the runtime override (the API's group stop).</summary>
    public bool Suspended { get; init; }

    /// <summary>A suspended compose project that is only stopped (agent stop, like docker compose stop), not down: its
    /// containers, network and volumes are kept, the containers stopped, as a stopped ServiceGroup's are.</summary>
    public bool StoppedOnly { get; init; }

    /// <summary>A compose project brought down with `down?volumes=true`: its own named volumes are removed too.</summary>
    public bool RemoveVolumes { get; init; }

    public TimeSpan UnhealthyGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>"service@hash" of updates that were rolled back: not retried until the manifest changes.</summary>
    public IReadOnlySet<string> FailedUpdates { get; init; } = new HashSet<string>();

    /// <summary>Why an object without a desired state is removed, as its operations say it (and the log): its manifest
    /// is gone, or (placement) it no longer selects this host.</summary>
    public string PruneReason { get; init; } = "manifest deleted";

    /// <summary>Services the manifest no longer lists, gone for less than Agent:PruneDelay, with the time their containers
    /// may be removed: kept until then, as an object whose manifest went away is (a half-written manifest loses services
    /// that come back when the write ends, probe-15d H14).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> ServicesLeaving { get; init; } = new Dictionary<string, DateTimeOffset>();

    /// <summary>How long a healthy/completed dependency is waited for before the plan fails.</summary>
    public TimeSpan DependencyTimeout { get; init; } = DefaultDependencyTimeout;

    /// <summary>The start verb runs this plan under its hold and starts the existing stopped containers itself, in
    /// dependency order, after it (probe-22: a dependent started before its recreated dependency was healthy and before
    /// the one-shot between them ran): the plan makes and recreates containers, and starts none that exists.</summary>
    public bool LeaveStartsToStart { get; init; }

    /// <summary>A preview (`agent diff`): a rolling update is planned for every replica it will reach, not only the one the
    /// next apply updates (probe-65 M4: diff listed replica 1 of 2). A replica on the new spec that fails still holds it.</summary>
    public bool WholeRoll { get; init; }

    public static readonly TimeSpan DefaultDependencyTimeout = TimeSpan.FromMinutes(2);
}
