using Agent.Core.Model;
using Agent.Engine;
using Agent.Usage;

namespace Agent.Http;

/// <summary>Host usage (CPU, memory, disk of the engine's data root, load), the engine's disk usage, and the agent's
/// containers by CPU or memory.</summary>
public static class UsageEndpoints
{
    private const int StatsInParallel = 8;
    private static readonly string[] Sorts = ["cpu", "memory"];

    public sealed record TopEntry(string Id, string Name, string? Kind, string? Object, string? Service, double CpuPercent,
        ulong MemoryBytes, ulong MemoryLimitBytes, double? MemoryPercent, ulong Pids);

    public static RouteGroupBuilder MapUsageEndpoints(this RouteGroupBuilder api)
    {
        var system = api.MapGroup("/system");
        system.MapGet("/usage", async (HostUsage host, IContainerEngine engine, CancellationToken ct) =>
        {
            var cpu = host.CpuAsync(ct);
            var memory = await host.MemoryAsync(ct);
            var load = await host.LoadAsync(ct);
            var disk = HostUsage.DiskOf(await engine.GetDataRootAsync(ct));
            return JsonAnswer.Ok(new HostUsageView(await cpu, memory, load, disk));
        }).WithSummary("Host usage: CPU percent (since the previous call, or over 250 ms), memory from /proc/meminfo, load averages from /proc/loadavg, and the disk of the engine's data root (docker info DockerRootDir; when the agent cannot see that path, dataRoot.visible is false and note says why).");

        system.MapGet("/df", async (IContainerEngine engine, AgentLabels labels, ManagedResources managed, CancellationToken ct) =>
                JsonAnswer.Ok(DiskUsageReport(await engine.GetDiskUsageAsync(ct), labels, managed)))
            .WithSummary("Disk usage like docker system df -v: images, the agent's containers and volumes, build cache, each with sizes, and the engine-wide totals.");

        system.MapGet("/top", Top)
            .WithSummary("The agent's running containers by CPU or memory (sort=cpu|memory, limit=1..100, default cpu and 10): one stats sample each, taken in parallel.");
        return api;
    }

    private static DiskUsageView DiskUsageReport(DiskUsage usage, AgentLabels labels, ManagedResources managed)
    {
        var containers = usage.Containers.Where(c => labels.IsOwned(c.Labels)).ToList();
        var volumes = usage.Volumes.Where(v => managed.IsManagedVolume(v.Name, v.Labels)).ToList(); // adopted compose volumes too
        static long Sized(long size) => Math.Max(0, size);
        return new DiskUsageView(
            usage.LayersSize,
            new DiskUsageSection<ImageDiskUsage>(
                usage.Images.Count,
                usage.Images.Count(i => i.Containers > 0),
                usage.Images.Sum(i => Sized(i.Size) - Sized(i.SharedSize)) + (usage.Images.Count > 0 ? usage.Images.Max(i => Sized(i.SharedSize)) : 0),
                usage.Images.Where(i => i.Containers <= 0).Sum(i => Sized(i.Size) - Sized(i.SharedSize)),
                usage.Images),
            new DiskUsageSection<ContainerDiskUsage>(
                containers.Count,
                containers.Count(c => c.State == "running"),
                containers.Sum(c => Sized(c.SizeRw)),
                containers.Where(c => c.State != "running").Sum(c => Sized(c.SizeRw)),
                containers.Select(c => c with { Labels = new Dictionary<string, string>() })),
            new DiskUsageSection<VolumeDiskUsage>(
                volumes.Count,
                volumes.Count(v => v.RefCount > 0),
                volumes.Sum(v => Sized(v.Size)),
                volumes.Where(v => v.RefCount == 0).Sum(v => Sized(v.Size)),
                volumes),
            new DiskUsageSection<BuildCacheDiskUsage>(
                usage.BuildCache.Count,
                usage.BuildCache.Count(b => b.InUse),
                usage.BuildCache.Sum(b => Sized(b.Size)),
                usage.BuildCache.Where(b => !b.InUse && !b.Shared).Sum(b => Sized(b.Size)),
                usage.BuildCache),
            new EngineDiskTotals(usage.Containers.Count, usage.Containers.Sum(c => Sized(c.SizeRw)), usage.Volumes.Count, usage.Volumes.Sum(v => Sized(v.Size))));
    }

    /// <summary>docker system df -v: the agent's share of each kind, with the engine-wide totals.</summary>
    public sealed record DiskUsageView(long LayersSize, DiskUsageSection<ImageDiskUsage> Images, DiskUsageSection<ContainerDiskUsage> Containers,
        DiskUsageSection<VolumeDiskUsage> Volumes, DiskUsageSection<BuildCacheDiskUsage> BuildCache, EngineDiskTotals Engine);

    public sealed record DiskUsageSection<T>(int Count, int Active, long Size, long Reclaimable, IEnumerable<T> Items);

    public sealed record EngineDiskTotals(int Containers, long ContainersSize, int Volumes, long VolumesSize);

    private static async Task<IResult> Top(string? sort, int? limit, IContainerEngine engine, AgentLabels labels, CancellationToken ct)
    {
        sort ??= "cpu";
        if (!Sorts.Contains(sort, StringComparer.OrdinalIgnoreCase))
            return ApiProblems.BadRequest($"sort=\"{sort}\": use cpu or memory", new Dictionary<string, object?> { ["allowed"] = Sorts });
        if (limit is < 1 or > 100) return ApiProblems.BadRequest($"limit={limit}: give 1 to 100");
        var running = (await engine.ListContainersAsync(LabelSelector.ForInstance(labels), ct))
            .Where(c => labels.IsOwned(c.Labels) && c.State == ContainerState.Running).ToList();
        var entries = new System.Collections.Concurrent.ConcurrentBag<TopEntry>();
        await Parallel.ForEachAsync(running, new ParallelOptions { MaxDegreeOfParallelism = StatsInParallel, CancellationToken = ct }, async (c, token) =>
        {
            try
            {
                var s = await engine.GetStatsAsync(c.Id, token);
                entries.Add(new TopEntry(c.Id, c.Name, c.Labels.GetValueOrDefault(labels.Kind), c.Labels.GetValueOrDefault(labels.Object), c.Labels.GetValueOrDefault(labels.Service),
                    s.CpuPercent, s.MemoryUsageBytes, s.MemoryLimitBytes,
                    s.MemoryLimitBytes > 0 ? Math.Round(100.0 * s.MemoryUsageBytes / s.MemoryLimitBytes, 2) : null, s.Pids));
            }
            catch (EngineNotFoundException)
            {
                // Removed since the listing: not running any more.
            }
        });
        var sorted = sort.Equals("memory", StringComparison.OrdinalIgnoreCase)
            ? entries.OrderByDescending(e => e.MemoryBytes)
            : entries.OrderByDescending(e => e.CpuPercent);
        return JsonAnswer.Ok(sorted.ThenBy(e => e.Name, StringComparer.Ordinal).Take(limit ?? 10).ToList());
    }
}
