using System.Diagnostics;
using System.Runtime;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace Agent.Hosting;

/// <summary>Gives back memory the agent no longer uses, first once the first sync is done, then whenever it has become
/// quiet after use (<see cref="QuietMemoryPolicy"/>: no API request for Agent:MemoryReleaseQuietPeriod, no reconcile for
/// 2 s, and the memory grew since the last release, e.g. after a burst of API load or a resync). A release is one compacting
/// collection that also returns free GC regions to the OS, and MADV_PAGEOUT over the pages of the executable and
/// libraries that are clean copies of files (code, constants, the executable's type data): the kernel drops them and
/// reads back from the page cache or the file only what runs again (measured on the Native AOT build: about 34 of its
/// 40 MiB file-backed RSS at start were pages only start-up ran). Idle RSS then holds what the agent keeps using.
/// Agent:ReleaseStartupMemory=false turns it off.</summary>
public sealed class MemoryRelease(
    Reconciliation.ControllerState controller,
    Http.ApiActivity api,
    Jobs.JobHistoryStore jobs,
    IOptions<AgentOptions> options,
    TimeProvider time,
    ILogger<MemoryRelease> logger) : BackgroundService
{
    private const int MadvPageout = 21; // Linux 5.4+; older kernels answer EINVAL and nothing changes

    [DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int Madvise(nint address, nuint length, int advice);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.ReleaseStartupMemory || !OperatingSystem.IsLinux()) return;
        try
        {
            await controller.FirstSync.WaitAsync(stoppingToken);
            var quiet = options.Value.MemoryReleaseQuietPeriod;
            var policy = new QuietMemoryPolicy(quiet);
            Release("start-up", policy, collect: true);
            if (quiet <= TimeSpan.Zero) return;
            // A sample a second: two counters and one read of /proc/self/statm (memory counters only; /proc/self/status
            // builds some 55 lines: reading it each second was 6 % of the idle agent's CPU time, profiled).
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var (anonymous, file) = ResidentKib();
                if (policy.ShouldRelease(time.GetUtcNow(), api.Requests, Work, controller.Reconciling, anonymous, file))
                    Release("quiet after use", policy, collect: policy.HeapGrew(anonymous));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The controller's and the jobs' work: reconciles started and job histories kept. A CronJob's run faults
    /// back some 19 MiB of code and type data (150 replicas, a run every 20 s: RSS 24 to 45 MiB); counted as work, it is
    /// given back after the run, as after a reconcile, instead of staying until the next resync's release.</summary>
    private long Work => controller.ReconcilesStarted + jobs.Saves;

    /// <summary>Runs one release and tells the policy the anonymous and file-backed memory it left.</summary>
    /// <param name="collect">Whether to run the compacting collection first (it touches the whole heap); without it only
    /// clean file pages are paged out.</param>
    private void Release(string why, QuietMemoryPolicy policy, bool collect)
    {
        var before = ResidentKib();
        var started = Stopwatch.GetTimestamp();
        if (collect)
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
        var collected = Stopwatch.GetElapsedTime(started);
        var afterGc = ResidentKib();
        var advised = PageOutFileMappings();
        var (anonymous, file) = ResidentKib();
        logger.LogDebug("Released memory ({Why}): RSS {Before} KiB, {AfterGc} KiB after {Gc}, {After} KiB after paging out {Advised} KiB of clean file pages ({Ms:0.0} ms in all)",
            why, before.Anonymous + before.File, afterGc.Anonymous + afterGc.File, collect ? $"a compacting GC ({collected.TotalMilliseconds:0.0} ms)" : "no GC (the heap did not grow)",
            anonymous + file, advised, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        policy.Released(time.GetUtcNow(), api.Requests, Work, anonymous, file, collect);
    }

    /// <summary>MADV_PAGEOUT over the file mappings of this process: every read-only one (code and constants of the
    /// executable and libraries), and the clean pages of the writable private ones (<see cref="CleanFilePages"/>: the
    /// Native AOT executable's type data). Written pages are left alone: their private copies would go to swap where
    /// there is one.</summary>
    private long PageOutFileMappings()
    {
        long advised = 0;
        var page = Environment.SystemPageSize;
        using var pagemap = OpenPagemap();
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            // start-end perms offset dev inode path
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 6 || !fields[5].StartsWith('/') || fields[4] == "0") continue;
            var writable = fields[1].Contains('w');
            if (writable && (fields[1][3] != 'p' || pagemap is null)) continue; // a shared writable mapping's pages are the file's own
            var range = fields[0].Split('-');
            var start = (nint)Convert.ToInt64(range[0], 16);
            var length = (nuint)(Convert.ToUInt64(range[1], 16) - (ulong)start);
            var runs = writable
                ? CleanFilePages.Runs(CleanFilePages.Read(pagemap!, start, (int)(length / (nuint)page)))
                : [(0, (int)(length / (nuint)page))];
            foreach (var (first, count) in runs)
            {
                if (Madvise(start + first * page, (nuint)(count * page), MadvPageout) != 0)
                {
                    logger.LogDebug("madvise(MADV_PAGEOUT) refused ({Error}): executable pages stay resident", Marshal.GetLastPInvokeError());
                    return advised;
                }
                advised += (long)count * page / 1024;
            }
        }
        return advised;
    }

    /// <summary>/proc/self/pagemap, or null where it cannot be read (some sandboxes): then writable mappings stay as they are.</summary>
    private FileStream? OpenPagemap()
    {
        try
        {
            return new FileStream("/proc/self/pagemap", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogDebug("/proc/self/pagemap cannot be read ({Error}): writable file mappings stay resident", e.Message);
            return null;
        }
    }

    /// <summary>The anonymous and the file-backed (and shared) resident memory, in KiB, from one read of /proc/self/statm.</summary>
    private static (long Anonymous, long File) ResidentKib()
    {
        Span<byte> text = stackalloc byte[256];
        int length;
        using (var handle = File.OpenHandle("/proc/self/statm"))
            length = RandomAccess.Read(handle, text, 0);
        return ResidentStatm.Kib(text[..length], Environment.SystemPageSize);
    }
}
