namespace Agent.Core.Model;

/// <summary>A service of a group: one container spec, replicated, with the settings that decide
/// order and rollout. Only <see cref="Container"/> goes into the spec hash: replicas, dependsOn and
/// the update strategy never recreate a container.</summary>
public sealed record ServiceSpec
{
    public required string Name { get; init; }
    public required ContainerSpec Container { get; init; }
    public int Replicas { get; init; } = 1;
    public IReadOnlyList<ServiceDependency> DependsOn { get; init; } = [];
    public UpdatePolicy Update { get; init; } = UpdatePolicy.Default;
    /// <summary>Compose's container_name: replaces {group}-{service}-1 (one replica only).</summary>
    public string? ContainerName { get; init; }
    /// <summary>Where <see cref="ContainerName"/> is written (a compose file's line), for the checks across documents; not
    /// part of the spec (a moved line changes nothing that runs).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public SourceLocation? ContainerNameAt { get; init; }

    public string ReplicaName(string group, int replica) => ContainerName ?? ContainerNames.Replica(group, Name, replica);
}

public enum DependencyCondition { Started, Healthy, Completed }

public sealed record ServiceDependency(string Service, DependencyCondition Condition)
{
    /// <summary>Compose's depends_on.restart: the dependent's running containers restart after this dependency is recreated.</summary>
    public bool Restart { get; init; }
}

public enum UpdateStrategy { StopFirst, StartFirst }

public sealed record UpdatePolicy(UpdateStrategy Strategy, bool RollbackOnFailure, TimeSpan HealthTimeout)
{
    public static readonly UpdatePolicy Default = new(UpdateStrategy.StopFirst, false, TimeSpan.FromSeconds(60));
}
