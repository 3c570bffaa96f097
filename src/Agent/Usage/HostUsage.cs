namespace Agent.Usage;

/// <summary>The host's CPU, memory, load and the disk of the engine's data root. CPU is measured since the previous call
/// (when that was between 1 s and 5 min ago) or over a short window of its own.</summary>
public sealed class HostUsage(TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LongestSinceLast = TimeSpan.FromMinutes(5);
    private readonly Lock gate = new();
    private (ProcFiles.CpuTimes Times, DateTimeOffset At)? last;

    public string ProcRoot { get; init; } = "/proc";

    public sealed record Cpu(double? Percent, double WindowSeconds, int Cores);

    public sealed record Disk(string Path, bool Visible, long? TotalBytes, long? UsedBytes, long? AvailableBytes, string? Note);

    public async Task<Cpu> CpuAsync(CancellationToken ct)
    {
        var now = ProcFiles.ParseStat(await File.ReadAllTextAsync(Path.Combine(ProcRoot, "stat"), ct));
        var at = time.GetUtcNow();
        if (now is not { } current) return new Cpu(null, 0, Environment.ProcessorCount);
        (ProcFiles.CpuTimes Times, DateTimeOffset At)? previous;
        lock (gate)
        {
            previous = last;
            last = (current, at);
        }
        if (previous is { } p && at - p.At >= TimeSpan.FromSeconds(1) && at - p.At <= LongestSinceLast)
            return new Cpu(ProcFiles.CpuTimes.PercentBetween(p.Times, current), Math.Round((at - p.At).TotalSeconds, 1), Environment.ProcessorCount);
        await Task.Delay(Window, time, ct);
        var later = ProcFiles.ParseStat(await File.ReadAllTextAsync(Path.Combine(ProcRoot, "stat"), ct));
        if (later is not { } second) return new Cpu(null, 0, Environment.ProcessorCount);
        lock (gate) last = (second, time.GetUtcNow());
        return new Cpu(ProcFiles.CpuTimes.PercentBetween(current, second), Window.TotalSeconds, Environment.ProcessorCount);
    }

    public async Task<ProcFiles.Memory?> MemoryAsync(CancellationToken ct) =>
        ProcFiles.ParseMeminfo(await File.ReadAllTextAsync(Path.Combine(ProcRoot, "meminfo"), ct));

    public async Task<ProcFiles.Load?> LoadAsync(CancellationToken ct) =>
        ProcFiles.ParseLoadavg(await File.ReadAllTextAsync(Path.Combine(ProcRoot, "loadavg"), ct));

    /// <summary>statvfs of the engine's data root as this process sees it. When the agent runs in a container (or the
    /// engine on another host) the path may not exist here: then only the path is reported, with why.</summary>
    public static Disk DiskOf(string path)
    {
        if (string.IsNullOrEmpty(path)) return new Disk(path, false, null, null, null, "the engine did not say where its data root is");
        if (!Directory.Exists(path))
            return new Disk(path, false, null, null, null,
                $"{path} is not visible to the agent (it runs in a container, or the engine on another host): mount the data root at the same path read-only to report its disk");
        try
        {
            var drive = new DriveInfo(path);
            return new Disk(path, true, drive.TotalSize, drive.TotalSize - drive.TotalFreeSpace, drive.AvailableFreeSpace, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return new Disk(path, false, null, null, null, $"{path} cannot be measured: {e.Message}");
        }
    }
}
