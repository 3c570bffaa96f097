using Agent.Sources;

namespace Agent.UnitTests.Git;

/// <summary>A credentials file holds one value; anything else is refused unread and never sent (probe-13b B11).</summary>
public sealed class GitSecretFileTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-secret-");

    private string Write(string name, string content)
    {
        var path = Path.Combine(dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void A_one_line_token_is_read_trimmed() => Assert.Equal("ghp_abc", GitCli.ReadSecret(Write("token", "ghp_abc\n"), "secretRef.tokenFile"));

    [Theory]
    [InlineData("root:*:20228:0:99999:7:::\ndaemon:*:20228:0:99999:7:::\n", "holds more than one line")] // /etc/shadow
    [InlineData("# role:token\nadmin:s3cret\n", "holds more than one line")] // the agent's tokens file
    [InlineData("", "is empty")]
    public void A_file_that_is_not_one_value_is_refused_without_echoing_it(string content, string why)
    {
        var file = Write("f", content);
        var e = Assert.Throws<GitSyncException>(() => GitCli.ReadSecret(file, "secretRef.tokenFile"));
        Assert.Equal("CredentialsUnreadable", e.Reason);
        Assert.Contains(why, e.Message);
        Assert.DoesNotContain("s3cret", e.Message);
        Assert.DoesNotContain("daemon", e.Message);
    }

    [Fact]
    public void A_file_over_4_KiB_is_refused() =>
        Assert.Contains("larger than 4096 bytes", Assert.Throws<GitSyncException>(() => GitCli.ReadSecret(Write("big", new string('x', 5000)), "secretRef.passwordFile")).Message);

    /// <summary>open(2) of a FIFO with no writer blocks forever: it hung a sync past its timeout and every webhook call
    /// (probe-13d D5). Refused at once, naming the field; a socket or device the same way.</summary>
    [Fact]
    public async Task A_FIFO_is_refused_at_once_naming_the_field()
    {
        var fifo = Path.Combine(dir.FullName, "fifo");
        using (var mk = System.Diagnostics.Process.Start("mkfifo", fifo)) await mk.WaitForExitAsync();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<GitSyncException>(() => GitCli.ReadSecret(fifo, "secretRef.tokenFile"));
        Assert.Equal(("CredentialsUnreadable", $"spec.secretRef.tokenFile {fifo} is a FIFO (named pipe), not a regular file"), (e.Reason, e.Message));
        var hook = await Assert.ThrowsAsync<GitSyncException>(() => GitCli.ReadSecretAsync(fifo, "webhook.secretFile", CancellationToken.None));
        Assert.Contains("spec.webhook.secretFile", hook.Message);
        Assert.True(watch.Elapsed < Agent.Engine.SecretFileReader.Deadline, $"took {watch.Elapsed}");
        Assert.Contains("is a directory, not a regular file", Assert.Throws<GitSyncException>(() => GitCli.ReadSecret(dir.FullName, "secretRef.passwordFile")).Message);
    }

    public void Dispose() => dir.Delete(recursive: true);
}
