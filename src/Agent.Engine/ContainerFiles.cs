using System.Formats.Tar;
using System.Text;
using Agent.Core.Model;

namespace Agent.Engine;

/// <summary>The tar stream the engine extracts at "/" of a new container: each file read-only (0444), owned by root,
/// missing folders created by the engine (0755), existing ones untouched.</summary>
internal static class ContainerFiles
{
    public static MemoryStream Tar(IEnumerable<ContainerFile> files)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var file in files)
            {
                // No folder entries: the engine creates missing parents (0755) and leaves existing ones as the image has them.
                var path = file.Target.TrimStart('/');
                var entry = new PaxTarEntry(TarEntryType.RegularFile, path)
                {
                    Mode = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(file.Content)),
                };
                writer.WriteEntry(entry);
            }
        }
        stream.Position = 0;
        return stream;
    }
}
