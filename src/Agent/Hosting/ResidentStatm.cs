namespace Agent.Hosting;

/// <summary>/proc/self/statm ("size resident shared text lib data dt", in pages) as the resident memory that is
/// anonymous (resident - shared) and file-backed (shared: RssFile + RssShmem, as /proc/self/status counts them).</summary>
public static class ResidentStatm
{
    /// <summary>(anonymous, file) in KiB; (0, 0) for text that is not statm.</summary>
    public static (long Anonymous, long File) Kib(ReadOnlySpan<byte> statm, int pageSize)
    {
        Span<long> fields = stackalloc long[3];
        var count = 0;
        foreach (var range in statm.Split((byte)' '))
        {
            if (count == fields.Length) break;
            if (!System.Buffers.Text.Utf8Parser.TryParse(statm[range].TrimEnd((byte)'\n'), out long value, out _)) return (0, 0);
            fields[count++] = value;
        }
        if (count < fields.Length) return (0, 0);
        var kibPerPage = pageSize / 1024;
        var (resident, shared) = (fields[1], fields[2]);
        return ((resident - shared) * kibPerPage, shared * kibPerPage);
    }
}
