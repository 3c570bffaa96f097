using Agent.Engine;
using Agent.Http;
using Agent.Tasks;

namespace Agent.UnitTests.Images;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("/api/v1/images/localhost:5000/ns/app:1.0", "/api/v1/images/localhost:5000%2Fns%2Fapp:1.0")]
    [InlineData("/api/v1/images/localhost:5000/ns/app:1.0/history", "/api/v1/images/localhost:5000%2Fns%2Fapp:1.0/history")]
    [InlineData("/api/v1/images/ns/app@sha256:abc/push", "/api/v1/images/ns%2Fapp@sha256:abc/push")]
    [InlineData("/api/v1/images/library/history/json", "/api/v1/images/library%2Fhistory/json")]
    [InlineData("/api/v1/images/busybox:1.35/history", null)]
    [InlineData("/api/v1/images/busybox:1.35", null)]
    [InlineData("/api/v1/images/search", null)]
    [InlineData("/api/v1/images/", null)]
    [InlineData("/api/v1/images/a//b", null)]
    [InlineData("/api/v1/containers/a/b", null)]
    public void References_with_slashes_are_rewritten_to_one_path_segment(string path, string? expected) =>
        Assert.Equal(expected, ImageReferencePaths.Rewrite(path));

    [Theory]
    [InlineData("busybox", "docker.io")]
    [InlineData("library/busybox:1.35", "docker.io")]
    [InlineData("localhost/app", "localhost")]
    [InlineData("localhost:5000/ns/app:1.0", "localhost:5000")]
    [InlineData("ghcr.io/org/app@sha256:abc", "ghcr.io")]
    public void The_registry_of_a_reference_follows_dockers_rule(string reference, string registry) =>
        Assert.Equal(registry, ImageReference.Registry(reference));

    [Theory]
    [InlineData("https://index.docker.io/v1/", "docker.io")]
    [InlineData("http://LOCALHOST:5000/", "localhost:5000")]
    [InlineData("ghcr.io", "ghcr.io")]
    public void Configured_servers_are_normalised_to_registry_hosts(string server, string host) =>
        Assert.Equal(host, ImageReference.NormalizeServer(server));

    [Theory]
    [InlineData("busybox", "docker.io/library/busybox:latest")]
    [InlineData("docker.io/library/busybox:latest", "docker.io/library/busybox:latest")]
    [InlineData("docker.io/busybox", "docker.io/library/busybox:latest")]
    [InlineData("localhost:5000/app", "localhost:5000/app:latest")]
    [InlineData("app@sha256:ab", "docker.io/library/app@sha256:ab")]
    public void Image_names_compare_in_their_full_form(string reference, string normalized) =>
        Assert.Equal(normalized, ImageUsers.Normalize(reference));

    [Fact]
    public void Credentials_are_read_from_their_files_and_never_printed()
    {
        var dir = Directory.CreateTempSubdirectory("agent-ut-registry-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "u"), "user\n");
            File.WriteAllText(Path.Combine(dir, "p"), "secret-pass\r\n");
            var files = new RegistryCredentialFiles([new RegistryFiles("http://localhost:5000/", Path.Combine(dir, "u"), Path.Combine(dir, "p"))]);
            var credential = files.For("localhost:5000")!;
            Assert.Equal(("user", "secret-pass"), (credential.Username, credential.Password));
            Assert.DoesNotContain("secret-pass", credential.ToString());
            Assert.Null(files.For("docker.io"));

            File.Delete(Path.Combine(dir, "p"));
            var error = Assert.Throws<RegistryCredentialsUnreadableException>(() => files.For("localhost:5000"));
            Assert.Contains("passwordFile", error.Message);
            Directory.CreateDirectory(Path.Combine(dir, "p")); // probe-39: "is a directory" named no path
            error = Assert.Throws<RegistryCredentialsUnreadableException>(() => files.For("localhost:5000"));
            Assert.Contains($"passwordFile {Path.Combine(dir, "p")} of http://localhost:5000/", error.Message);
            Assert.Throws<ArgumentException>(() => new RegistryCredentialFiles([new RegistryFiles("a", "x", "y"), new RegistryFiles("A", "x", "y")]));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task A_task_log_keeps_its_last_lines_and_a_follower_sees_every_new_one()
    {
        var task = new AgentTask("t1", "build", "x:1", DateTimeOffset.UnixEpoch, maxLines: 3);
        foreach (var i in Enumerable.Range(1, 5)) task.Append($"line{i}");
        Assert.Equal(["line3", "line4", "line5"], await task.ReadLinesAsync(false, CancellationToken.None).ToListAsync());
        Assert.Equal(2, task.DroppedLines);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var follower = task.ReadLinesAsync(true, timeout.Token).ToListAsync(timeout.Token).AsTask();
        task.Append("line6");
        task.Succeed("done", DateTimeOffset.UnixEpoch);
        Assert.Equal(["line3", "line4", "line5", "line6"], await follower);
    }
}
