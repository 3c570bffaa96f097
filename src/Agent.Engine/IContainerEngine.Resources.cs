namespace Agent.Engine;

/// <summary>Volumes, networks and host usage beyond what reconciling needs: the admin surface's engine calls.</summary>
public partial interface IContainerEngine
{
    /// <summary>The engine's /system/df (docker system df -v): images, containers, volumes (with sizes) and build cache.</summary>
    Task<DiskUsage> GetDiskUsageAsync(CancellationToken ct);

    /// <summary>Where the engine keeps its data (docker info: DockerRootDir), as the engine's host sees it.</summary>
    Task<string> GetDataRootAsync(CancellationToken ct);

    /// <summary>Every container (whoever made it, running or not) that mounts the volume.</summary>
    Task<IReadOnlyList<ContainerSummary>> ListContainersUsingVolumeAsync(string volume, CancellationToken ct);

    /// <summary>One network with its options and attached containers, whoever made it; null when there is none.</summary>
    Task<NetworkDetails?> InspectNetworkAsync(string idOrName, CancellationToken ct);

    Task<string> CreateNetworkAsync(NetworkCreateRequest request, CancellationToken ct);
    Task ConnectNetworkAsync(string network, string container, IReadOnlyList<string> aliases, CancellationToken ct);
    Task DisconnectNetworkAsync(string network, string container, bool force, CancellationToken ct);
}
