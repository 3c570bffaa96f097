using Agent.Usage;

namespace Agent.UnitTests.Usage;

public sealed class ProcFilesTests
{
    [Fact]
    public void Cpu_percent_is_busy_time_over_total_time_between_two_readings()
    {
        var before = ProcFiles.ParseStat("cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 50 0 50 350 50 0 0 0 0 0\n")!.Value;
        var after = ProcFiles.ParseStat("cpu  200 0 200 1300 300 0 0 0 0 0\n")!.Value;
        // busy +200 (user, system), idle + iowait +800: 20 %
        Assert.Equal(20.0, ProcFiles.CpuTimes.PercentBetween(before, after));
        Assert.Null(ProcFiles.CpuTimes.PercentBetween(after, after));
        Assert.Null(ProcFiles.ParseStat("intr 1 2 3\n"));
    }

    [Fact]
    public void Memory_used_is_total_minus_available_in_bytes()
    {
        var memory = ProcFiles.ParseMeminfo("MemTotal:        1000 kB\nMemFree:          200 kB\nMemAvailable:     600 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n")!;
        Assert.Equal(1_024_000, memory.TotalBytes);
        Assert.Equal(409_600, memory.UsedBytes);
    }

    [Fact]
    public void Without_MemAvailable_free_plus_cache_is_the_estimate()
    {
        var memory = ProcFiles.ParseMeminfo("MemTotal: 1000 kB\nMemFree: 200 kB\nBuffers: 50 kB\nCached: 150 kB\n")!;
        Assert.Equal(400 * 1024, memory.AvailableBytes);
        Assert.Null(ProcFiles.ParseMeminfo("garbage"));
    }

    [Fact]
    public void Load_averages_and_task_counts_are_read() =>
        Assert.Equal(new ProcFiles.Load(0.52, 1.5, 2.25, 3, 412), ProcFiles.ParseLoadavg("0.52 1.50 2.25 3/412 12345\n"));
}
