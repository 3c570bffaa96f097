namespace Agent.Hosting;

/// <summary>
/// Which pages of a writable private file mapping are still clean copies of the file, from /proc/self/pagemap (one
/// 64-bit entry a page: bit 63 present, bit 61 file page). The Native AOT executable's data section (its type data,
/// about 18 MiB) is such a mapping: almost all of it is only read, so those pages can be dropped and read back from the
/// file like code; the few the agent wrote (copy-on-write, now anonymous) are left where they are, so a release never
/// pushes live data to swap.
/// </summary>
public static class CleanFilePages
{
    private const ulong Present = 1UL << 63;
    private const ulong FilePage = 1UL << 61;

    /// <summary>Runs of consecutive present file pages, as (first page index, page count), in order.</summary>
    public static List<(int First, int Count)> Runs(ReadOnlySpan<ulong> entries)
    {
        var runs = new List<(int, int)>();
        var start = -1;
        for (var i = 0; i <= entries.Length; i++)
        {
            var clean = i < entries.Length && (entries[i] & (Present | FilePage)) == (Present | FilePage);
            if (clean && start < 0) start = i;
            else if (!clean && start >= 0)
            {
                runs.Add((start, i - start));
                start = -1;
            }
        }
        return runs;
    }

    /// <summary>The pagemap entries of <paramref name="pages"/> pages from <paramref name="address"/> (page-aligned).</summary>
    public static ulong[] Read(FileStream pagemap, nint address, int pages)
    {
        var bytes = new byte[pages * sizeof(ulong)];
        pagemap.Position = (long)((ulong)address / (ulong)Environment.SystemPageSize) * sizeof(ulong);
        pagemap.ReadExactly(bytes);
        var entries = new ulong[pages];
        Buffer.BlockCopy(bytes, 0, entries, 0, bytes.Length);
        return entries;
    }
}
