using Agent.Core.Model;

namespace Agent.Core.Planning;

/// <summary>A managed container as one list call shows it, plus what the reconciler remembers about it.</summary>
public sealed record ObservedContainer(
    string Id,
    string Name,
    string Service,
    int Replica,
    string SpecHash,
    ContainerState State,
    HealthState Health,
    int? ExitCode = null)
{
    /// <summary>The services it depends on as recorded on it (Compose's <c>com.docker.compose.depends_on</c> label): the
    /// order a prune stops it in once its manifest is gone.</summary>
    public IReadOnlyList<string> DependsOn { get; init; } = [];

    /// <summary>When a crash-looping container may be started again (CrashLoopBackOff).</summary>
    public DateTimeOffset? BackoffUntil { get; init; }

    /// <summary>When the engine created it (the object's AGE after an agent restart).</summary>
    public DateTimeOffset? Created { get; init; }

    /// <summary>Since when the healthcheck has said unhealthy, as the reconciler saw it.</summary>
    public DateTimeOffset? UnhealthySince { get; init; }

    /// <summary>The group had prune off when this container was made: deleting the manifest leaves it.</summary>
    public bool PruneDisabled { get; init; }

    /// <summary>The spec the agent created this container with (its spec label), when it carries one.</summary>
    public string? AppliedSpec { get; init; }

    /// <summary>The spec hash of the container this one was created to replace (label agent.update-from).</summary>
    public string? UpdateFrom { get; init; }

    /// <summary>The ids of the networks it is attached to; null when not known (a container only its create event told of).</summary>
    public IReadOnlySet<string>? NetworkIds { get; init; }

    /// <summary>Its network mode as the engine lists it (<c>container:&lt;id&gt;</c> when it is in another container's
    /// network); null when not known.</summary>
    public string? NetworkMode { get; init; }

    public bool IsRunning => State is ContainerState.Running or ContainerState.Restarting;

    /// <summary>Just started, and whether it has a healthcheck is not known yet (the cache has not inspected it): its
    /// <see cref="Health"/> None does not mean "no healthcheck", so it is not ready yet.</summary>
    public bool HealthUnknown { get; init; }

    /// <summary>Running and, when it has a healthcheck, healthy: it can serve.</summary>
    public bool IsReady => State == ContainerState.Running && !HealthUnknown && Health is HealthState.Healthy or HealthState.None;

    /// <summary>Set when a user stopped it ("api": the API's stop, "engine": docker stop/kill not made by the agent), or
    /// "unknown": stopped while the agent's record of user stops is lost, and not by the agent.</summary>
    public string? StoppedByUser { get; init; }

    /// <summary>It exited because the engine stopped (the engine's shutdown stopped it, as it stops every container): not a
    /// user's stop; under restart no (or on-failure after a clean exit) it stays exited, as with Docker alone.</summary>
    public bool StoppedWithEngine { get; init; }

    /// <summary>It exited because the agent stopped it (a stop or suspend since lifted, or a start cut off by a kill of
    /// the agent, probe-21): not the container's own exit, so it runs again whatever its restart policy.</summary>
    public bool StoppedByAgent { get; init; }

    /// <summary>Running, but a stop an earlier run of the agent asked for is still under way in the engine: it is about
    /// to exit, so nothing that depends on it starts on it; once it has exited it is started again (StoppedByAgent).</summary>
    public bool StopInFlight { get; init; }

    /// <summary>The stop under way (<see cref="StopInFlight"/>) is a user's through the API: once it has landed the
    /// container stays stopped until started through the API.</summary>
    public bool StopInFlightByUser { get; init; }

    /// <summary>How often it exited with a failure (engine restarts and agent starts alike), and when last.</summary>
    public int Failures { get; init; }

    public DateTimeOffset? LastFailure { get; init; }

    /// <summary>The exit code of its latest failure, as the engine's "die" event gave it: a crash-looping container the
    /// engine restarts lists no exit code while it runs between two crashes.</summary>
    public int? LastFailureExitCode { get; init; }

    /// <summary>Its own exit code when it has exited, else that of its latest failure.</summary>
    public int? LatestExitCode => ExitCode ?? LastFailureExitCode;

    /// <summary>A replica that failed less than this ago, or was started again less than this ago after a failure (the
    /// agent moves <see cref="LastFailure"/> to each start that follows one), is in a crash loop, not ready, even while
    /// briefly running.</summary>
    public static readonly TimeSpan CrashWindow = TimeSpan.FromSeconds(10);

    /// <summary>Ready and not crash-looping: a replica that failed within <see cref="CrashWindow"/> does not serve, nor one
    /// whose stop is under way (<see cref="StopInFlight"/>: probe-28 F1, a group dependsOn it read Ready and its dependent
    /// group was made on the dying container).</summary>
    public bool IsServing(DateTimeOffset now) => IsReady && !StopInFlight && !InCrashWindow(now);

    /// <summary>It failed less than <see cref="CrashWindow"/> ago.</summary>
    public bool InCrashWindow(DateTimeOffset now) => LastFailure is { } failed && now - failed < CrashWindow;
}

/// <summary>
/// A network of this instance and object, found through its labels. <see cref="Key"/> is the object's own name for it
/// (label agent.network, "default" for the group network); the engine name may differ, and is never used to address it:
/// two instances may each have a group of one name, so only the id is unambiguous.
/// </summary>
public sealed record ObservedNetwork(string Id, string Name, string Key = ObservedNetwork.DefaultKey)
{
    public const string DefaultKey = "default";

    /// <summary>The definition digest it was created with (label agent.network-hash); null on networks made before it.</summary>
    public string? DefinitionHash { get; init; }
}

/// <summary>What exists in the engine for one object: its containers, networks and volumes.</summary>
public sealed record ObservedState(
    IReadOnlyList<ObservedContainer> Containers,
    IReadOnlyList<ObservedNetwork> Networks,
    IReadOnlySet<string> Volumes)
{
    public static readonly ObservedState Empty = new([], [], new HashSet<string>());

    /// <summary>Volumes whose group opted in (pruneVolumes) to removing them with the group.</summary>
    public IReadOnlySet<string> PrunableVolumes { get; init; } = new HashSet<string>();

    /// <summary>For a compose project, looked up only when the plan would create something: what `docker compose up`
    /// made for it. Never touched unless the project sets `adopt: true`.</summary>
    public ForeignObjects Foreign { get; init; } = ForeignObjects.None;

    /// <summary>The ids of the networks of each external network's name (looked up only for objects that declare one):
    /// an empty list means it does not exist.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> ExternalNetworks { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>External network names that exist but may not be joined: neither this instance's own networks nor allowed
    /// by Agent:Security:AllowedExternalNetworks (another project's internal network, another tool's).</summary>
    public IReadOnlySet<string> RefusedExternalNetworks { get; init; } = new HashSet<string>();

    /// <summary>Asked of the engine just now (not taken from the agent's cache of it): a plan from it may change things.</summary>
    public bool Fresh { get; init; }
}

/// <summary>A compose project's containers, networks and volumes that carry its Compose project label but no agent
/// labels (made by `docker compose up` or `docker-compose up`). Containers carry their compose service as Service.</summary>
public sealed record ForeignObjects(IReadOnlyList<ObservedContainer> Containers, IReadOnlyList<ObservedNetwork> Networks, IReadOnlySet<string> Volumes)
{
    public static readonly ForeignObjects None = new([], [], new HashSet<string>());

    public bool IsEmpty => Containers.Count == 0 && Networks.Count == 0 && Volumes.Count == 0;
}

/// <summary>
/// The network a service's containers join: <see cref="Name"/> is what the spec hash and the plan text use;
/// <see cref="Address"/> is the id of the observed network, or the name of one this plan creates.
/// </summary>
public sealed record NetworkRef(string Name, string? Id)
{
    public string Address => Id ?? Name;
}
