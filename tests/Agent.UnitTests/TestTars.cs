using System.Formats.Tar;
using System.Text;

namespace Agent.UnitTests;

/// <summary>Tar streams made in memory, as the engine or a client would send them.</summary>
internal static class TestTars
{
    /// <summary>A pax tar of these entries, positioned at its start.</summary>
    public static MemoryStream Tar(params TarEntry[] entries)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var entry in entries) writer.WriteEntry(entry);
        stream.Position = 0;
        return stream;
    }

    /// <summary>A regular file holding this text (UTF-8).</summary>
    public static PaxTarEntry TextFile(string name, string text) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) };
}
