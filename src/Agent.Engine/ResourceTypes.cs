namespace Agent.Engine;

/// <summary>The engine's disk usage (docker system df -v). Sizes in bytes; -1 where the engine did not compute one.</summary>
public sealed record DiskUsage(
    long LayersSize,
    IReadOnlyList<ImageDiskUsage> Images,
    IReadOnlyList<ContainerDiskUsage> Containers,
    IReadOnlyList<VolumeDiskUsage> Volumes,
    IReadOnlyList<BuildCacheDiskUsage> BuildCache);

public sealed record ImageDiskUsage(string Id, IReadOnlyList<string> Tags, long Size, long SharedSize, long Containers, DateTimeOffset Created);

public sealed record ContainerDiskUsage(string Id, string Name, string Image, string State, long SizeRw, long SizeRootFs, IReadOnlyDictionary<string, string> Labels)
{
    /// <summary>The id of its image (its inherited labels are told from it).</summary>
    public string ImageId { get; init; } = "";

    /// <summary>The named volumes it mounts.</summary>
    public IReadOnlyList<string> Volumes { get; init; } = [];
}

public sealed record VolumeDiskUsage(string Name, string Driver, long Size, long RefCount, IReadOnlyDictionary<string, string> Labels);

public sealed record BuildCacheDiskUsage(string Id, string Type, string Description, bool InUse, bool Shared, long Size, long UsageCount, DateTimeOffset? LastUsed);

/// <summary>A network as inspect tells it, with the containers attached to it.</summary>
public sealed record NetworkDetails(
    string Id,
    string Name,
    string Driver,
    bool Internal,
    bool Attachable,
    DateTimeOffset Created,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Options,
    IReadOnlyList<string> Subnets,
    IReadOnlyList<NetworkMember> Containers);

public sealed record NetworkMember(string ContainerId, string Name, string IPv4Address);

/// <summary>A network the agent creates on request: already checked against the security policy.</summary>
public sealed record NetworkCreateRequest(string Name, IReadOnlyDictionary<string, string> Labels)
{
    public string Driver { get; init; } = "bridge";
    public bool Internal { get; init; }
    public bool Attachable { get; init; }
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
    public string? Subnet { get; init; }
    public string? Gateway { get; init; }
}
