using System.Formats.Tar;
using System.Text;
using Agent.Engine;

namespace Agent.UnitTests.Images;

/// <summary>The images of a `docker save` tar are read as the engine's Go JSON decoder reads them (probe-15d H8): labels,
/// and the tags the load would re-point with the id it would give them (probe-15h M6).</summary>
public sealed class ImageArchiveContentsTests
{
    private static MemoryStream Tar(string manifest, string config)
    {
        var stream = new MemoryStream();
        using (var tar = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var (name, content) in new[] { ("manifest.json", manifest), ("abc.json", config) })
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
        stream.Position = 0;
        return stream;
    }

    private static async Task<IReadOnlyDictionary<string, string>> LabelsAsync(string config, string manifest = """[{"Config":"abc.json","RepoTags":["p/l:1"]}]""")
    {
        var images = await ImageArchiveContents.ReadAsync(Tar(manifest, config), CancellationToken.None);
        return Assert.Single(images!).Labels;
    }

    [Theory]
    [InlineData("""{"config":{"Labels":{"agent.managed":"true"}}}""")]
    [InlineData("""{"config":{"labels":{"agent.managed":"true"}}}""")]
    [InlineData("""{"CONFIG":{"LABELS":{"agent.managed":"true"}}}""")]
    [InlineData("""{"config":{"Labels":{"org.x":"1"},"labels":{"agent.managed":"true"}}}""")] // repeated: the decoder merges both maps
    [InlineData("""{"config":{"Labels":{"org.x":"1"}},"Config":{"labels":{"agent.managed":"true"}}}""")]
    [InlineData("""{"config":{"label\u017f":{"agent.managed":"true"}}}""")] // U+017F folds to s in Go
    [InlineData("""{"container_config":{"Labels":{"agent.managed":"true"}}}""")]
    public async Task Labels_in_any_spelling_the_engine_accepts_are_read(string config)
    {
        Assert.Equal("true", (await LabelsAsync(config))["agent.managed"]);
    }

    [Fact]
    public async Task The_config_file_the_engine_loads_is_the_last_one_named()
    {
        var images = await ImageArchiveContents.ReadAsync(
            Tar("""[{"Config":"other.json","config":"abc.json","RepoTags":["p/l:1"],"repotags":["p/m:2"]}]""", """{"config":{"Labels":{"agent.x":"1"}}}"""),
            CancellationToken.None);
        var image = Assert.Single(images!);
        Assert.Equal("p/m:2", image.Image);
        Assert.Equal("1", image.Labels["agent.x"]);
    }

    [Fact]
    public async Task Other_keys_are_not_labels()
    {
        Assert.Empty(await LabelsAsync("""{"config":{"Labelz":{"agent.managed":"true"},"Env":["agent.managed=true"]}}"""));
        Assert.True(GoJsonKeys.Matches("repotags", "RepoTags"));
        Assert.False(GoJsonKeys.Matches("RepoTag", "RepoTags"));
    }

    [Fact]
    public async Task Each_image_comes_with_the_tags_the_load_gives_it_and_the_id_the_engine_computes_from_its_config()
    {
        const string config = """{"config":{"Labels":{"org.x":"1"}}}""";
        var image = Assert.Single((await ImageArchiveContents.ReadAsync(Tar("""[{"Config":"abc.json","RepoTags":["busybox:1.35","p/l:1"]}]""", config), CancellationToken.None))!);
        Assert.Equal(["busybox:1.35", "p/l:1"], image.Tags);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(config))), image.Id);
        var untagged = Assert.Single((await ImageArchiveContents.ReadAsync(Tar("""[{"Config":"abc.json"}]""", config), CancellationToken.None))!);
        Assert.Empty(untagged.Tags);
        Assert.Equal("abc.json", untagged.Image);
    }

    private static MemoryStream TarOf(params PaxTarEntry[] entries)
    {
        var stream = new MemoryStream();
        using (var tar = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var entry in entries) tar.WriteEntry(entry);
        stream.Position = 0;
        return stream;
    }

    private static PaxTarEntry File(string name, string content) => new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) };

    private static PaxTarEntry Link(TarEntryType type, string name, string target) => new(type, name) { LinkName = target };

    private const string Claiming = """{"config":{"Labels":{"agent.managed":"true"}}}""";

    /// <summary>probe-37 (HIGH): the config named as a link to another entry was judged on nothing, and the engine loaded the
    /// labels of the entry it points at. Whatever the engine would read through a link is refused before the load.</summary>
    [Theory]
    [InlineData(TarEntryType.SymbolicLink, "c.json", "real.json")]
    [InlineData(TarEntryType.HardLink, "c.json", "real.json")]
    [InlineData(TarEntryType.SymbolicLink, "d", "e")] // c.json lies below a linked folder: d/c.json is e/c.json unpacked
    public async Task A_config_the_engine_would_read_through_a_link_is_refused(TarEntryType type, string link, string target)
    {
        var config = link == "d" ? "d/c.json" : "c.json";
        var entries = new List<PaxTarEntry> { File("manifest.json", $$"""[{"Config":"{{config}}","RepoTags":["p/l:1"]}]"""), File("real.json", Claiming), File("e/c.json", Claiming) };
        if (link == "d") entries.Add(File("d/c.json", "{}"));
        entries.Add(Link(type, link, target));

        var refused = await Assert.ThrowsAsync<InvalidDataException>(() => ImageArchiveContents.ReadAsync(TarOf([.. entries]), CancellationToken.None));

        // probe-39: the answer named the link as its own target ("c.json ... is a link (c.json)").
        Assert.Contains(link == "d" ? $"lies below a link (d to {target})" : $"is a link to {target}", refused.Message);
    }

    [Fact]
    public async Task A_config_named_through_dots_is_the_file_the_engine_unpacks_there()
    {
        var images = await ImageArchiveContents.ReadAsync(
            TarOf(File("manifest.json", """[{"Config":"x/../real.json","RepoTags":["p/l:1"]}]"""), File("./real.json", Claiming)), CancellationToken.None);
        Assert.Equal("true", Assert.Single(images!).Labels["agent.managed"]);
    }

    [Fact]
    public async Task A_config_the_tar_does_not_hold_is_refused_rather_than_judged_on_nothing()
    {
        var refused = await Assert.ThrowsAsync<InvalidDataException>(() => ImageArchiveContents.ReadAsync(
            TarOf(File("manifest.json", """[{"Config":"missing.json","RepoTags":["p/l:1"]}]""")), CancellationToken.None));
        Assert.Contains("missing.json", refused.Message);
    }
}
