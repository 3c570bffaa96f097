using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Agent.Engine;

public sealed partial class DockerEngine
{
    private EngineHttp? http;
    private EngineHttp Http => http ??= new EngineHttp(new Uri(endpoint));

    private readonly Lock diskUsageLock = new();
    private Task<DiskUsage>? diskUsageInFlight;

    /// <summary>The engine runs one disk-usage computation at a time and answers any other 500 "a disk usage operation is
    /// already running" (probe-15i M5): concurrent callers share the one in flight; each caller's token only stops its wait.</summary>
    public Task<DiskUsage> GetDiskUsageAsync(CancellationToken ct)
    {
        Task<DiskUsage> shared;
        lock (diskUsageLock)
        {
            if (diskUsageInFlight is null || diskUsageInFlight.IsCompleted) diskUsageInFlight = FetchDiskUsageAsync();
            shared = diskUsageInFlight;
        }
        return shared.WaitAsync(ct);
    }

    private Task<DiskUsage> FetchDiskUsageAsync() => Call("system_df", async () =>
    {
        var ct = CancellationToken.None; // shared by every waiting caller; the engine client's own timeout bounds it
        using var doc = await GetSystemDfAsync();
        var usage = DiskUsageJson.Parse(doc.RootElement);
        var containers = new List<ContainerDiskUsage>();
        foreach (var c in usage.Containers) containers.Add(c with { Labels = await OwnLabelsAsync(c.Labels, c.ImageId, ct) });
        return usage with { Containers = containers };
    });

    /// <summary>Another client of the shared engine (docker system df, another agent) may hold its one disk-usage slot:
    /// wait for it, within a deadline, rather than fail.</summary>
    private async Task<JsonDocument> GetSystemDfAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                return await Http.GetJsonAsync("system/df", CancellationToken.None);
            }
            catch (EngineException e) when (e.StatusCode == 500 && e.Message.Contains("already running", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250));
            }
        }
    }

    public Task<string> GetDataRootAsync(CancellationToken ct) => Call("info", async () =>
        (await client.System.GetSystemInfoAsync(ct)).DockerRootDir ?? "");

    public Task<IReadOnlyList<ContainerSummary>> ListContainersUsingVolumeAsync(string volume, CancellationToken ct) =>
        Call<IReadOnlyList<ContainerSummary>>("container_list", async () =>
            await OwnLabelsAsync(await client.Containers.ListContainersAsync(new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["volume"] = new Dictionary<string, bool> { [volume] = true } },
            }, ct), ct), volume);

    public Task<NetworkDetails?> InspectNetworkAsync(string idOrName, CancellationToken ct) => Call("network_inspect", async () =>
    {
        try
        {
            var n = await client.Networks.InspectNetworkAsync(idOrName, ct);
            return new NetworkDetails(n.ID, n.Name, n.Driver ?? "", n.Internal, n.Attachable, new DateTimeOffset(n.Created.ToUniversalTime()),
                EngineMapping.Labels(n.Labels), EngineMapping.Labels(n.Options),
                n.IPAM?.Config?.Select(c => c.Subnet).Where(s => !string.IsNullOrEmpty(s)).ToList() ?? [],
                (n.Containers ?? new Dictionary<string, EndpointResource>())
                    .Select(kv => new NetworkMember(kv.Key, kv.Value.Name ?? "", kv.Value.IPv4Address ?? ""))
                    .OrderBy(e => e.Name, StringComparer.Ordinal).ToList());
        }
        catch (DockerNetworkNotFoundException)
        {
            return (NetworkDetails?)null;
        }
    }, idOrName);

    public Task<string> CreateNetworkAsync(NetworkCreateRequest request, CancellationToken ct) => Call("network_create", async () =>
        (await client.Networks.CreateNetworkAsync(new NetworksCreateParameters
        {
            Name = request.Name,
            Driver = request.Driver,
            Internal = request.Internal,
            Attachable = request.Attachable,
            Options = request.Options.ToDictionary(),
            Labels = request.Labels.ToDictionary(),
            IPAM = request.Subnet is null ? null : new IPAM
            {
                Config = [new IPAMConfig { Subnet = request.Subnet, Gateway = request.Gateway ?? "" }],
            },
        }, ct)).ID, request.Name);

    public Task ConnectNetworkAsync(string network, string container, IReadOnlyList<string> aliases, CancellationToken ct) =>
        Call("network_connect", () => client.Networks.ConnectNetworkAsync(network, new NetworkConnectParameters
        {
            Container = container,
            EndpointConfig = aliases.Count == 0 ? null : new EndpointSettings { Aliases = aliases.ToList() },
        }, ct), $"{container} to {network}");

    public Task DisconnectNetworkAsync(string network, string container, bool force, CancellationToken ct) =>
        Call("network_disconnect", () => client.Networks.DisconnectNetworkAsync(network, new NetworkDisconnectParameters
        {
            Container = container,
            Force = force,
        }, ct), $"{container} from {network}");
}

/// <summary>Reads /system/df in both shapes: API &lt; 1.52 (Images, Containers, Volumes, BuildCache at the top) and
/// 1.52+ (ImageUsage.Items, ...).</summary>
internal static class DiskUsageJson
{
    public static DiskUsage Parse(JsonElement root) => new(
        Long(root, "LayersSize"),
        Items(root, "Images", "ImageUsage").Select(i => new ImageDiskUsage(Str(i, "Id"), Strings(i, "RepoTags"), Long(i, "Size"), Long(i, "SharedSize"),
            Long(i, "Containers"), DateTimeOffset.FromUnixTimeSeconds(Long(i, "Created")))).ToList(),
        Items(root, "Containers", "ContainerUsage").Select(c => new ContainerDiskUsage(Str(c, "Id"), Strings(c, "Names").FirstOrDefault()?.TrimStart('/') ?? "",
            Str(c, "Image"), Str(c, "State"), Long(c, "SizeRw"), Long(c, "SizeRootFs"), Map(c, "Labels"))
        {
            ImageId = Str(c, "ImageID"),
            Volumes = c.TryGetProperty("Mounts", out var mounts) && mounts.ValueKind == JsonValueKind.Array
                ? mounts.EnumerateArray().Where(m => Str(m, "Type") == "volume").Select(m => Str(m, "Name")).ToList()
                : [],
        }).ToList(),
        Items(root, "Volumes", "VolumeUsage").Select(v => new VolumeDiskUsage(Str(v, "Name"), Str(v, "Driver"),
            v.TryGetProperty("UsageData", out var u) && u.ValueKind == JsonValueKind.Object ? Long(u, "Size", -1) : -1,
            v.TryGetProperty("UsageData", out var r) && r.ValueKind == JsonValueKind.Object ? Long(r, "RefCount", -1) : -1, Map(v, "Labels"))).ToList(),
        Items(root, "BuildCache", "BuildCacheUsage").Select(b => new BuildCacheDiskUsage(Str(b, "ID"), Str(b, "Type"), Str(b, "Description"),
            Bool(b, "InUse"), Bool(b, "Shared"), Long(b, "Size"), Long(b, "UsageCount"),
            b.TryGetProperty("LastUsedAt", out var t) && t.ValueKind == JsonValueKind.String && t.TryGetDateTimeOffset(out var at) ? at : null)).ToList());

    private static IEnumerable<JsonElement> Items(JsonElement root, string old, string current)
    {
        if (root.TryGetProperty(old, out var list) && list.ValueKind == JsonValueKind.Array) return list.EnumerateArray();
        if (root.TryGetProperty(current, out var usage) && usage.ValueKind == JsonValueKind.Object
            && usage.TryGetProperty("Items", out var items) && items.ValueKind == JsonValueKind.Array) return items.EnumerateArray();
        return [];
    }

    private static string Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    private static long Long(JsonElement e, string name, long missing = 0) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : missing;

    private static bool Bool(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static IReadOnlyList<string> Strings(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(s => s.GetString() ?? "").ToList() : [];

    private static IReadOnlyDictionary<string, string> Map(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object
            ? v.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "")
            : new Dictionary<string, string>();
}
