using System.Text;
using Agent.Hosting;

namespace Agent.UnitTests.Hosting;

public sealed class ResidentStatmTests
{
    [Fact]
    public void Statm_pages_become_anonymous_and_file_backed_KiB()
    {
        Assert.Equal((12_712L, 14_448L), ResidentStatm.Kib("13421 6790 3612 2049 0 5120 0\n"u8, 4096));
        Assert.Equal((0L, 0L), ResidentStatm.Kib("13421 x 3612\n"u8, 4096));
        Assert.Equal((0L, 0L), ResidentStatm.Kib("13421\n"u8, 4096));
        Assert.Equal((0L, 0L), ResidentStatm.Kib(""u8, 4096));
    }

    /// <summary>The kernel's own split in /proc/self/status is the oracle: RssAnon, and RssFile + RssShmem.</summary>
    [Fact]
    public void This_process_statm_agrees_with_its_status()
    {
        var (anonymous, file) = ResidentStatm.Kib(Encoding.ASCII.GetBytes(File.ReadAllText("/proc/self/statm")), Environment.SystemPageSize);
        var status = File.ReadAllLines("/proc/self/status").Where(l => l.StartsWith("Rss", StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf(':')], l => long.Parse(l[(l.IndexOf(':') + 1)..].Replace("kB", "").Trim()));
        Assert.InRange(anonymous, status["RssAnon"] - 4096, status["RssAnon"] + 4096); // allocations between the two reads
        Assert.InRange(file, status["RssFile"] + status["RssShmem"] - 4096, status["RssFile"] + status["RssShmem"] + 4096);
    }
}
