using System.Formats.Tar;
using Agent.Engine;
using static Agent.UnitTests.TestTars;

namespace Agent.UnitTests.ContainerAccess;

/// <summary>Reading a folder listing out of the tar the engine's GET archive sends (its first entry is the folder itself).</summary>
public sealed class ContainerArchiveTests
{
    private static PaxTarEntry File(string name, int size) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(new byte[size]), Mode = (UnixFileMode)0b110_100_000 };

    [Fact]
    public async Task Only_direct_children_are_listed_with_their_types_sizes_and_link_targets()
    {
        using var tar = Tar(
            new PaxTarEntry(TarEntryType.Directory, "etc/"),
            File("etc/hosts", 12),
            new PaxTarEntry(TarEntryType.Directory, "etc/ssl/"),
            File("etc/ssl/cert.pem", 99),
            new PaxTarEntry(TarEntryType.SymbolicLink, "etc/mtab") { LinkName = "/proc/mounts" },
            new PaxTarEntry(TarEntryType.HardLink, "etc/hosts.bak") { LinkName = "etc/hosts" });
        var children = await ContainerArchives.ChildrenAsync(tar, CancellationToken.None);
        Assert.Equal(["hosts", "hosts.bak", "mtab", "ssl"], children.Select(c => c.Name));
        Assert.Equal((FileType.File, 12L, 0b110_100_000), (children[0].Type, children[0].Size, children[0].Mode));
        Assert.Equal((FileType.File, 12L), (children[1].Type, children[1].Size)); // a hard link takes its target's size
        Assert.Equal((FileType.Symlink, "/proc/mounts"), (children[2].Type, children[2].LinkTarget));
        Assert.Equal(FileType.Directory, children[3].Type);
    }

    [Fact]
    public async Task The_root_folder_is_named_slash_in_the_archive()
    {
        using var tar = Tar(new PaxTarEntry(TarEntryType.Directory, "/"), File("/.dockerenv", 0), new PaxTarEntry(TarEntryType.Directory, "/bin/"), File("/bin/sh", 5));
        var children = await ContainerArchives.ChildrenAsync(tar, CancellationToken.None);
        Assert.Equal([".dockerenv", "bin"], children.Select(c => c.Name));
    }

    [Fact]
    public async Task An_archive_over_the_limit_stops_the_listing()
    {
        using var tar = Tar(new PaxTarEntry(TarEntryType.Directory, "big/"), File("big/a", 100_000));
        await using var bounded = new BoundedReadStream(tar, 50_000, () => new FolderTooLargeException("/big", 50_000));
        var error = await Assert.ThrowsAsync<FolderTooLargeException>(() => ContainerArchives.ChildrenAsync(bounded, CancellationToken.None));
        Assert.Contains("Agent:Files:MaxListBytes", error.Message);
    }
}
