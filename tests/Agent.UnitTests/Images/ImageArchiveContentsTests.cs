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
}
