using Agent.Hosting;

namespace Agent.UnitTests.Hosting;

/// <summary>A release pages out only the clean file pages of a writable mapping: written (anonymous) and absent pages
/// split the runs.</summary>
public sealed class CleanFilePagesTests
{
    private const ulong Clean = (1UL << 63) | (1UL << 61) | 0x1234; // present, file page, a frame number
    private const ulong Written = (1UL << 63) | 0x1234; // present, anonymous (a copy-on-write copy)
    private const ulong Swapped = 1UL << 62;
    private const ulong Absent = 0;

    [Fact]
    public void Consecutive_clean_file_pages_form_one_run_and_anything_else_ends_it()
    {
        ulong[] entries = [Clean, Clean, Written, Clean, Absent, Swapped, Clean, Clean, Clean];
        Assert.Equal([(0, 2), (3, 1), (6, 3)], CleanFilePages.Runs(entries));
    }

    [Fact]
    public void A_mapping_without_clean_pages_has_no_runs()
    {
        Assert.Empty(CleanFilePages.Runs([Written, Absent, Swapped]));
        Assert.Empty(CleanFilePages.Runs([]));
    }

    [Fact]
    public void A_fully_clean_mapping_is_one_run()
    {
        Assert.Equal([(0, 4)], CleanFilePages.Runs([Clean, Clean, Clean, Clean]));
    }

    [Fact]
    public void Pagemap_entries_are_read_one_per_page()
    {
        // This test process's first mapping (the dotnet host's own file).
        var first = File.ReadLines("/proc/self/maps").First().Split(' ')[0].Split('-');
        var start = (nint)Convert.ToInt64(first[0], 16);
        var pages = (int)((Convert.ToInt64(first[1], 16) - start) / Environment.SystemPageSize);
        using var pagemap = new FileStream("/proc/self/pagemap", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        Assert.Equal(pages, CleanFilePages.Read(pagemap, start, pages).Length);
    }
}
