using System.Net;
using System.Net.Http.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Images;

/// <summary>What the image routes admit: a loaded image may not carry the agent's labels (like a built one), and a
/// build's base images pass Agent:Security:AllowedImages like a manifest build's.</summary>
public sealed class ImageAdmissionTests() : AgentScenario(new Dictionary<string, string?> { ["Agent:Security:AllowedImages:0"] = "busybox:*" })
{
    [Fact]
    public async Task A_build_from_an_image_outside_the_allowlist_is_refused_before_the_builder_runs()
    {
        await Agent.StartAsync();
        using var client = Agent.Client(Agent.GeneratedAdminToken);
        var tag = Instance.Name("refused") + ":1";
        using var inline = await client.PostAsJsonAsync("/api/v1/images/build", new { tag, dockerfileInline = $"FROM busybox:1.35 AS base\nFROM {Instance.Name("nope")}:1\n" });
        var detail = await inline.Content.ReadAsStringAsync();
        Assert.True(inline.StatusCode == HttpStatusCode.BadRequest, detail);
        Assert.Contains($"dockerfileInline line 2: FROM image \\\"{Instance.Name("nope")}:1\\\" is not in the allowed list", detail);

        var context = new MemoryStream();
        await using (var tar = new System.Formats.Tar.TarWriter(context, leaveOpen: true))
            await tar.WriteEntryAsync(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "build/Dockerfile")
            {
                DataStream = new MemoryStream("ARG BASE=alpine:3\nFROM $BASE\n"u8.ToArray()),
            });
        using var upload = await client.PostAsync($"/api/v1/images/build?tag={tag}&dockerfile=build/Dockerfile",
            new ByteArrayContent(context.ToArray()) { Headers = { ContentType = new("application/x-tar") } });
        detail = await upload.Content.ReadAsStringAsync();
        Assert.True(upload.StatusCode == HttpStatusCode.BadRequest, detail);
        Assert.Contains("build/Dockerfile line 2: FROM image \\\"alpine:3\\\" is not in the allowed list", detail);
        Assert.False(await DockerCli.ExistsAsync("image", tag));
    }

    /// <summary>probe-37: the config named another way (./c, x/../c, /c) or given as a link to another entry loaded the
    /// agent's labels (200); a truncated tar was a 500, a gzip one "Unable to parse number". Each is a clear 400 now, and nothing is loaded.</summary>
    [Fact]
    public async Task An_image_whose_config_is_named_another_way_or_linked_or_whose_tar_is_cut_is_not_loaded()
    {
        await Agent.StartAsync();
        using var client = Agent.Client(Agent.GeneratedAdminToken);
        var tag = Instance.Name("claims2") + ":1";
        var folder = Directory.CreateTempSubdirectory("agent-it-load-");
        try
        {
            var original = await SavedAndRemovedAsync(folder, tag, "agent.managed=true");

            async Task<string> RefusedAsync(byte[] tar)
            {
                using var load = await client.PostAsync("/api/v1/images/load", new ByteArrayContent(tar) { Headers = { ContentType = new("application/x-tar") } });
                var detail = await load.Content.ReadAsStringAsync();
                Assert.True(load.StatusCode == HttpStatusCode.BadRequest, detail);
                Assert.False(await DockerCli.ExistsAsync("image", tag), detail);
                return detail;
            }

            foreach (var spelling in new[] { "./{0}", "x/../{0}", "/{0}" })
                Assert.Contains($"{tag} carries the agent's own labels agent.managed", await RefusedAsync(Rewritten(original, config => string.Format(spelling, config), link: false)));
            Assert.Contains("is a link", await RefusedAsync(Rewritten(original, config => "c.json", link: true)));
            Assert.Contains("not a tar that `docker save` writes", await RefusedAsync(original[..Math.Min(5000, original.Length / 2)]));
            var gzipped = new MemoryStream();
            await using (var gzip = new System.IO.Compression.GZipStream(gzipped, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
                await gzip.WriteAsync(original);
            Assert.Contains("compressed with gzip", await RefusedAsync(gzipped.ToArray()));
        }
        finally
        {
            await DockerCli.TryRunAsync("rmi", "-f", tag);
            folder.Delete(recursive: true);
        }
    }

    /// <summary>What `docker save` writes for a busybox image built as <paramref name="tag"/> with <paramref name="labels"/>
    /// (LABEL's arguments), the image then removed from the engine.</summary>
    private static async Task<byte[]> SavedAndRemovedAsync(DirectoryInfo folder, string tag, string labels)
    {
        await File.WriteAllTextAsync(Path.Combine(folder.FullName, "Dockerfile"), $"FROM {TestEngine.Image}\nLABEL {labels}\n");
        await DockerCli.RunAsync("build", "-q", "-t", tag, folder.FullName);
        var saved = Path.Combine(folder.FullName, "image.tar");
        await DockerCli.RunAsync("save", "-o", saved, tag);
        await DockerCli.RunAsync("rmi", tag);
        return await File.ReadAllBytesAsync(saved);
    }

    /// <summary>The tar with manifest.json naming its config as <paramref name="name"/> gives it; with <paramref name="link"/>,
    /// that name is a symlink to the config entry.</summary>
    private static byte[] Rewritten(byte[] saved, Func<string, string> name, bool link)
    {
        var output = new MemoryStream();
        using (var reader = new System.Formats.Tar.TarReader(new MemoryStream(saved)))
        using (var writer = new System.Formats.Tar.TarWriter(output, System.Formats.Tar.TarEntryFormat.Pax, leaveOpen: true))
        {
            string? linked = null;
            while (reader.GetNextEntry(copyData: true) is { } entry)
            {
                if (entry.Name != "manifest.json")
                {
                    writer.WriteEntry(entry);
                    continue;
                }
                var manifest = System.Text.Json.Nodes.JsonNode.Parse(entry.DataStream!)!.AsArray();
                var config = manifest[0]!["Config"]!.GetValue<string>();
                manifest[0]!["Config"] = name(config);
                if (link) linked = config;
                writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "manifest.json")
                {
                    DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString())),
                });
            }
            if (linked is not null)
                writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.SymbolicLink, name(linked)) { LinkName = linked });
        }
        return output.ToArray();
    }

    [Fact]
    public async Task An_image_with_the_agents_labels_is_not_loaded()
    {
        await Agent.StartAsync();
        using var client = Agent.Client(Agent.GeneratedAdminToken);
        var tag = Instance.Name("claims") + ":1";
        var folder = Directory.CreateTempSubdirectory("agent-it-load-");
        try
        {
            var saved = await SavedAndRemovedAsync(folder, tag, "agent.kind=ServiceGroup agent.object=x");

            using var load = await client.PostAsync("/api/v1/images/load", new ByteArrayContent(saved) { Headers = { ContentType = new("application/x-tar") } });
            var detail = await load.Content.ReadAsStringAsync();
            Assert.True(load.StatusCode == HttpStatusCode.BadRequest, detail);
            Assert.Contains($"{tag} carries the agent's own labels agent.kind, agent.object", detail);
            Assert.False(await DockerCli.ExistsAsync("image", tag));
        }
        finally
        {
            await DockerCli.TryRunAsync("rmi", "-f", tag);
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_tar_in_the_legacy_layout_without_manifest_json_is_not_loaded()
    {
        await Agent.StartAsync();
        using var client = Agent.Client(Agent.GeneratedAdminToken);
        var tag = Instance.Name("legacy-src") + ":1";
        var legacy = Instance.Name("legacy");
        var folder = Directory.CreateTempSubdirectory("agent-it-legacy-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "Dockerfile"), $"FROM {TestEngine.Image}\nLABEL agent.kind=ServiceGroup agent.object=x\n");
            await DockerCli.RunAsync("build", "-q", "-t", tag, folder.FullName);
            var saved = Path.Combine(folder.FullName, "image.tar");
            await DockerCli.RunAsync("save", "-o", saved, tag);
            await DockerCli.RunAsync("rmi", tag);

            // The layout Docker wrote before 1.10: `repositories` names the top layer, and there is no manifest.json.
            var rewritten = new MemoryStream();
            await using (var reader = new System.Formats.Tar.TarReader(File.OpenRead(saved)))
            await using (var writer = new System.Formats.Tar.TarWriter(rewritten, leaveOpen: true))
                while (await reader.GetNextEntryAsync(copyData: true) is { } entry)
                {
                    if (entry.Name == "manifest.json") continue;
                    if (entry.Name == "repositories")
                    {
                        var layer = System.Text.Json.JsonDocument.Parse(entry.DataStream!).RootElement.EnumerateObject().First().Value.EnumerateObject().First().Value.GetString();
                        await writer.WriteEntryAsync(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "repositories")
                        {
                            DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes($"{{\"{legacy}\":{{\"1\":\"{layer}\"}}}}")),
                        });
                        continue;
                    }
                    await writer.WriteEntryAsync(entry);
                }

            using var load = await client.PostAsync("/api/v1/images/load", new ByteArrayContent(rewritten.ToArray()) { Headers = { ContentType = new("application/x-tar") } });
            var detail = await load.Content.ReadAsStringAsync();
            Assert.True(load.StatusCode == HttpStatusCode.BadRequest, detail);
            Assert.Contains("no manifest.json", detail);
            Assert.False(await DockerCli.ExistsAsync("image", legacy + ":1"));
        }
        finally
        {
            await DockerCli.TryRunAsync("rmi", "-f", tag, legacy + ":1");
            folder.Delete(recursive: true);
        }
    }

    /// <summary>probe-39: a tag in manifest.json that the engine refuses (uppercase, no tag) was loaded until the engine
    /// stopped halfway ("invalid tag"), or answered with an internal call's failure ("image_inspect P39UP:1 failed").</summary>
    [Theory]
    [InlineData("UPPER:1", "must be lowercase")]
    [InlineData("notag", "it is not NAME:TAG")]
    public async Task A_tar_whose_manifest_gives_a_tag_the_engine_refuses_is_not_loaded(string badTag, string why)
    {
        await Agent.StartAsync();
        using var client = Agent.Client(Agent.GeneratedAdminToken);
        var folder = Directory.CreateTempSubdirectory("agent-it-badtag-");
        try
        {
            var saved = Path.Combine(folder.FullName, "image.tar");
            await DockerCli.RunAsync("save", "-o", saved, TestEngine.Image);
            var rewritten = new MemoryStream();
            await using (var reader = new System.Formats.Tar.TarReader(File.OpenRead(saved)))
            await using (var writer = new System.Formats.Tar.TarWriter(rewritten, leaveOpen: true))
                while (await reader.GetNextEntryAsync(copyData: true) is { } entry)
                {
                    if (entry.Name != "manifest.json")
                    {
                        await writer.WriteEntryAsync(entry);
                        continue;
                    }
                    var manifest = System.Text.Json.Nodes.JsonNode.Parse(entry.DataStream!)!.AsArray();
                    manifest[0]!["RepoTags"] = new System.Text.Json.Nodes.JsonArray(badTag);
                    await writer.WriteEntryAsync(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "manifest.json")
                    {
                        DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString())),
                    });
                }

            using var load = await client.PostAsync("/api/v1/images/load", new ByteArrayContent(rewritten.ToArray()) { Headers = { ContentType = new("application/x-tar") } });
            var detail = await load.Content.ReadAsStringAsync();
            Assert.True(load.StatusCode == HttpStatusCode.BadRequest, detail);
            Assert.Contains($"gives an image the tag \\\"{badTag}\\\", which is not a valid image name", detail);
            Assert.Contains(why, detail);
            Assert.DoesNotContain("image_inspect", detail);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
