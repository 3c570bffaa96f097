using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Agent.Core.Build;
using static Agent.UnitTests.TestTars;

namespace Agent.UnitTests.Build;

/// <summary>A build context is rewritten before the builder sees it, and a Dockerfile the builder could read
/// differently from the agent (a link, a name given twice, a path through a link) is refused (probe-15h H1).</summary>
public sealed class ContextArchiveTests
{
    private const string Benign = "FROM busybox:1.35\nRUN true\n";
    private const string Fetching = "FROM busybox:1.35\nADD http://127.0.0.1:18916/x /x\n";

    private static PaxTarEntry Link(TarEntryType type, string name, string target) => new(type, name) { LinkName = target };

    private static Task<ContextArchive.Result> Rewrite(Stream tar, string dockerfile = "Dockerfile", bool defaultName = true, long max = 1 << 20) =>
        ContextArchive.RewriteAsync(tar, new MemoryStream(), dockerfile, defaultName, max, CancellationToken.None);

    private static async Task<MemoryStream> Gzip(Stream tar)
    {
        var gzip = new MemoryStream();
        await using (var zip = new GZipStream(gzip, CompressionLevel.Fastest, leaveOpen: true))
            await tar.CopyToAsync(zip);
        gzip.Position = 0;
        return gzip;
    }

    private static List<string> Names(Stream tar)
    {
        var names = new List<string>();
        using var reader = new TarReader(tar, leaveOpen: true);
        while (reader.GetNextEntry() is { } entry) names.Add(entry.Name);
        tar.Position = 0;
        return names;
    }

    [Fact]
    public async Task A_plain_context_is_sent_with_clean_names_and_its_dockerfile_is_the_one_read()
    {
        var result = await Rewrite(Tar(new PaxTarEntry(TarEntryType.Directory, "./"), TextFile("./Dockerfile", Benign), TextFile("./app/x.txt", "x")));
        Assert.Null(result.Problem);
        Assert.Equal(Benign, result.Dockerfile);
        Assert.Equal("Dockerfile", result.DockerfileName);
        Assert.Equal(["Dockerfile", "app/x.txt"], Names(result.Tar!));
    }

    [Fact]
    public async Task A_dockerfile_that_is_a_symlink_or_hard_link_is_refused()
    {
        var symlink = await Rewrite(Tar(TextFile("real.df", Fetching), Link(TarEntryType.SymbolicLink, "Dockerfile", "real.df")));
        Assert.Contains("Dockerfile in the context is a symbolic link", symlink.Problem);
        var hardLink = await Rewrite(Tar(TextFile("real.df", Fetching), Link(TarEntryType.HardLink, "Dockerfile", "real.df")));
        Assert.Contains("hard link", hardLink.Problem);
        Assert.Null(hardLink.Tar);
    }

    [Theory]
    [InlineData("Dockerfile", "Dockerfile")]
    [InlineData("Dockerfile", "./Dockerfile")]
    [InlineData("/Dockerfile", "a/../Dockerfile")]
    public async Task A_dockerfile_given_twice_under_any_spelling_is_refused(string first, string second)
    {
        var result = await Rewrite(Tar(TextFile(first, Benign), TextFile(second, Fetching)));
        Assert.Contains("given 2 times", result.Problem);
    }

    [Fact]
    public async Task Without_a_Dockerfile_the_lowercase_dockerfile_the_builder_falls_back_to_is_the_one_judged()
    {
        var result = await Rewrite(Tar(TextFile("dockerfile", Fetching)));
        Assert.Null(result.Problem);
        Assert.Equal(("dockerfile", Fetching), (result.DockerfileName, result.Dockerfile));

        var named = await Rewrite(Tar(TextFile("dockerfile", Fetching)), "Dockerfile", defaultName: false);
        Assert.Contains("holds no Dockerfile", named.Problem);
    }

    [Fact]
    public async Task A_dockerfile_read_through_a_linked_folder_is_refused_whatever_the_order_of_entries()
    {
        var linkFirst = await Rewrite(Tar(Link(TarEntryType.SymbolicLink, "d", "e"), TextFile("e/Dockerfile", Fetching), TextFile("d/Dockerfile", Benign)), "d/Dockerfile", false);
        Assert.Contains("d in the context is a symbolic link, so d/Dockerfile is read through it", linkFirst.Problem);
        var linkLast = await Rewrite(Tar(TextFile("d/Dockerfile", Benign), TextFile("e/Dockerfile", Fetching), Link(TarEntryType.SymbolicLink, "d", "e")), "d/Dockerfile", false);
        Assert.NotNull(linkLast.Problem);
    }

    [Fact]
    public async Task A_context_without_the_dockerfile_or_that_cannot_be_read_is_refused_not_passed_to_the_builder()
    {
        Assert.Contains("holds no Dockerfile", (await Rewrite(Tar(TextFile("other", "x")))).Problem);
        Assert.Contains("not a tar the agent can read", (await Rewrite(new MemoryStream(Encoding.UTF8.GetBytes(new string('x', 2048))))).Problem);
        Assert.Contains("outside the context", (await Rewrite(Tar(TextFile("../Dockerfile", Benign)))).Problem);
        Assert.Contains("outside the context", (await Rewrite(Tar(TextFile("Dockerfile", Benign), Link(TarEntryType.HardLink, "x", "../../etc/passwd")))).Problem);
    }

    [Fact]
    public async Task A_hard_link_is_passed_only_to_a_file_the_context_gave_before_it()
    {
        // probe-37: "/etc/passwd" reached the engine, which read it as the context's etc/passwd and failed the stream.
        foreach (var target in new[] { "/etc/passwd", "etc/passwd", "later", "folder", "x" })
        {
            var refused = await Rewrite(Tar(TextFile("Dockerfile", Benign), new PaxTarEntry(TarEntryType.Directory, "folder/"), Link(TarEntryType.HardLink, "x", target), TextFile("later", "l")));
            Assert.Contains($"hard link to \"{target}\", which is not a file given before it", refused.Problem);
        }
        var passed = await Rewrite(Tar(TextFile("Dockerfile", Benign), TextFile("a/data", "d"), Link(TarEntryType.HardLink, "b", "./a/data"), Link(TarEntryType.HardLink, "c", "b")));
        Assert.Null(passed.Problem);
        var linked = new List<(string, string)>();
        using (var reader = new TarReader(passed.Tar!, leaveOpen: true))
            while (reader.GetNextEntry() is { } entry)
                if (entry.EntryType == TarEntryType.HardLink) linked.Add((entry.Name, entry.LinkName));
        Assert.Equal([("b", "a/data"), ("c", "b")], linked);
    }

    [Fact]
    public async Task A_gzip_context_is_unpacked_and_judged_and_other_compressions_are_named()
    {
        var result = await Rewrite(await Gzip(Tar(TextFile("Dockerfile", Fetching), TextFile("app/x.txt", "x"))));
        Assert.Equal(Fetching, result.Dockerfile);
        Assert.Equal(["Dockerfile", "app/x.txt"], Names(result.Tar!));
        using (var reader = new TarReader(result.Tar!, leaveOpen: true))
        {
            Assert.Equal(Fetching, new StreamReader(reader.GetNextEntry()!.DataStream!).ReadToEnd());
            Assert.Equal("x", new StreamReader(reader.GetNextEntry()!.DataStream!).ReadToEnd()); // unpacked while read, the data comes along
        }
        Assert.Contains("not a gzip the agent can read", (await Rewrite(new MemoryStream([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff, 0xde, 0xad, 0xbe, 0xef]))).Problem);

        var bzip2 = new MemoryStream("BZh91AY&SY"u8.ToArray());
        Assert.Contains("compressed with bzip2", (await Rewrite(bzip2)).Problem);
    }

    [Fact]
    public async Task A_context_that_unpacks_larger_than_the_limit_is_too_large()
    {
        foreach (var tar in new[] { Tar(TextFile("Dockerfile", Benign), TextFile("big", new string('x', 64 * 1024))),
                                    await Gzip(Tar(TextFile("Dockerfile", Benign), TextFile("big", new string('x', 64 * 1024)))) })
        {
            var into = new MemoryStream();
            var result = await ContextArchive.RewriteAsync(tar, into, "Dockerfile", true, 16 * 1024, CancellationToken.None);
            Assert.True(result.TooLarge);
            Assert.Contains("larger than 16384 bytes", result.Problem);
            Assert.True(into.Length <= 16 * 1024, $"{into.Length} bytes written"); // judged before the entry is written
        }
    }
}
