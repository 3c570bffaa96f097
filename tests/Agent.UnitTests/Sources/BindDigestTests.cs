using System.Security.Cryptography;
using System.Text;
using Agent.Sources;

namespace Agent.UnitTests.Sources;

/// <summary>The digest of a bound folder (fileDigests.bind in the spec hash) covers what the bind holds.</summary>
public sealed class BindDigestTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-bind-digest-");

    public void Dispose() => dir.Delete(recursive: true);

    private string At(string relative) => Path.Combine(dir.FullName, relative);

    private void Write(string relative, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(At(relative))!);
        File.WriteAllText(At(relative), text);
    }

    private string? Digest(string relative) => new ManifestFolder(dir.FullName).Digest(At(relative));

    [Fact]
    public void A_link_in_a_bound_folder_counts_by_its_target_string_not_by_the_file_it_points_at()
    {
        Write("b.yaml", "one\n");
        Write("www/index.html", "hi\n");
        File.CreateSymbolicLink(At("www/inner"), "../b.yaml");
        var before = Digest("www");

        Write("b.yaml", "two\n"); // outside the bind: the container does not see it through the link
        Assert.Equal(before, Digest("www"));

        File.Delete(At("www/inner"));
        File.CreateSymbolicLink(At("www/inner"), "../c.yaml"); // the link itself changed: the container sees that
        Assert.NotEqual(before, Digest("www"));
    }

    [Fact]
    public void A_folder_without_links_keeps_the_digest_it_had_so_an_upgrade_recreates_nothing()
    {
        Write("www/index.html", "hi\n");
        Write("www/css/site.css", "body{}\n");
        Write("www/.hidden", "x\n");

        // The digest before links were told apart: relative path, NUL, the file's 16-hex SHA-256, newline; ordinal order.
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in new[] { "www/.hidden", "www/css/site.css", "www/index.html" }.Order(StringComparer.Ordinal))
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath("www", file) + "\0" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(At(file))))[..16] + "\n"));
        Assert.Equal(Convert.ToHexStringLower(hash.GetHashAndReset())[..16], Digest("www"));
    }

    [Fact]
    public async Task A_fifo_in_a_bound_folder_or_as_an_input_file_never_blocks_the_reader()
    {
        // probe-15e E3: a container that can write into a bound folder made a FIFO there; opening it blocked the
        // manifests reader for good (no writer ever comes).
        Write("data/a.txt", "a\n");
        Write("stack/compose.yaml", "services: {}\n");
        foreach (var fifo in new[] { At("data/p"), At("stack/.env") })
            using (var mk = System.Diagnostics.Process.Start("mkfifo", fifo)!) await mk.WaitForExitAsync();
        var folder = new ManifestFolder(dir.FullName);

        var read = Task.Run(() => (folder.Digest(At("data")), folder.ReadText(At("stack/.env")),
            folder.DigestBuildContext(At("data"), "Dockerfile", "FROM busybox:1.35\n", 1 << 20)));
        var (digest, env, context) = await read.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(digest);
        Assert.Null(env); // not a file to read
        Assert.Contains("not a regular file", context.Problem);
    }
}
