using Agent.Core.Model;

namespace Agent.Core.Planning;

public enum OperationKind
{
    CreateNetwork,
    CreateVolume,
    EnsureImage,
    BuildImage,
    CreateContainer,
    StartContainer,
    UnpauseContainer,
    StopContainer,
    RestartContainer,
    RemoveContainer,
    RenameContainer,
    WaitHealthy,
    WaitCompleted,
    RemoveNetwork,
    RemoveVolume,
}

/// <summary>
/// One step of a plan: exactly one engine call (or one wait), on one resource, with the reason for it.
/// <see cref="Target"/> is a container id for observed containers and the container name for ones the plan creates.
/// </summary>
public sealed record Operation(int Id, OperationKind Kind, string ResourceId, string Cause, IReadOnlyList<int> After)
{
    public string? Target { get; init; }
    public string? NewName { get; init; }
    public ContainerSpec? Spec { get; init; }

    /// <summary>For a CreateContainer that replaces a container: the spec that one was created with (JSON), for the per-field diff.</summary>
    public string? PreviousSpec { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
    public string? Network { get; init; }

    /// <summary>For CreateContainer of a service with its own networks: every network it joins, the first at create.</summary>
    public IReadOnlyList<NetworkEndpoint>? Endpoints { get; init; }

    /// <summary>For CreateNetwork: its definition.</summary>
    public NetworkSpec? NetworkDefinition { get; init; }
    public TimeSpan? Timeout { get; init; }

    /// <summary>For EnsureImage: whether the image is pulled when present (Always), when missing, or never.</summary>
    public PullPolicy PullPolicy { get; init; }

    /// <summary>For CreateVolume: the driver and its options.</summary>
    public VolumeSpec? Volume { get; init; }

    /// <summary>Operations to run when this one fails (a start-first rollout removes its new container).</summary>
    public IReadOnlyList<Operation> OnFailure { get; init; } = [];

    /// <summary>The service and spec hash a failure rolls back, for status and to stop retrying that hash.</summary>
    public string? RollbackOf { get; init; }

    /// <summary>For the health wait of an update: the service and the spec hash of the container it replaces. A manifest
    /// reverted to that spec meanwhile ends the wait at once, and the wait's <see cref="OnFailure"/> runs (probe-16 F11).</summary>
    public (string Service, string Hash)? Replaces { get; init; }

    /// <summary>True for operations that change the engine (not waits or image checks; a build runs only when the image
    /// built from the same context is missing, and says so itself).</summary>
    public bool IsMutation => Kind is not (OperationKind.WaitHealthy or OperationKind.WaitCompleted or OperationKind.EnsureImage or OperationKind.BuildImage);

    public override string ToString() =>
        $"#{Id} {ResourceId}, {Kind}, {Cause}{(After.Count > 0 ? $" (after {string.Join(",", After.Select(a => "#" + a))})" : "")}";
}
