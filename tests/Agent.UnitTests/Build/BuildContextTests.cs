using System.Formats.Tar;
using Agent.Engine;

namespace Agent.UnitTests.Build;

/// <summary>What a build context sends: links as links (never their target's content), and nothing over the size limit.</summary>
public sealed class BuildContextTests : IDisposable
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("agent-context-");
    private readonly DirectoryInfo outside = Directory.CreateTempSubdirectory("agent-context-outside-");

    public void Dispose()
    {
        root.Delete(recursive: true);
        outside.Delete(recursive: true);
    }

    [Fact]
    public async Task Symlinks_are_sent_as_links_and_linked_folders_are_not_walked()
    {
        File.WriteAllText(Path.Combine(root.FullName, "Dockerfile"), "FROM busybox:1.35\n");
        File.WriteAllText(Path.Combine(outside.FullName, "secret.txt"), "do not send");
        File.CreateSymbolicLink(Path.Combine(root.FullName, "secret"), Path.Combine(outside.FullName, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(root.FullName, "elsewhere"), outside.FullName);

        Assert.Equal(["Dockerfile", "elsewhere", "secret"], BuildContext.Files(root.FullName));
        await using var tar = await BuildContext.TarAsync(root.FullName, "Dockerfile", null, CancellationToken.None);
        var reader = new TarReader(tar);
        var entries = new Dictionary<string, TarEntry>();
        while (await reader.GetNextEntryAsync() is { } entry) entries[entry.Name] = entry;
        Assert.Equal(TarEntryType.SymbolicLink, entries["secret"].EntryType);
        Assert.Equal(Path.Combine(outside.FullName, "secret.txt"), entries["secret"].LinkName);
        Assert.Equal(TarEntryType.SymbolicLink, entries["elsewhere"].EntryType);

        // The hash follows the link's name, not what it points at.
        var hash = BuildContext.Hash(root.FullName);
        File.WriteAllText(Path.Combine(outside.FullName, "secret.txt"), "changed");
        Assert.Equal(hash, BuildContext.Hash(root.FullName));
    }

    [Fact]
    public void A_context_over_the_limit_is_refused_before_it_is_read()
    {
        File.WriteAllText(Path.Combine(root.FullName, "Dockerfile"), "FROM busybox:1.35\n");
        File.WriteAllBytes(Path.Combine(root.FullName, "big.bin"), new byte[10_000]);
        var e = Assert.Throws<BuildContextTooLargeException>(() => BuildContext.Hash(root.FullName, maxBytes: 5_000));
        Assert.Contains("Agent:Security:MaxBuildContextBytes", e.Message);
        Assert.NotEmpty(BuildContext.Hash(root.FullName, maxBytes: 20_000));
    }
}
