using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Cli;

/// <summary>`agent run` with a bad --git-url or --git-interval stops at once with the field's error, never echoing a
/// password or a token given as the URL's user name (probe finding 8, probe-13 F3, issue 13).</summary>
public sealed class RunFlagTests
{
    [Theory]
    [InlineData("--git-url", "https://u:hunter2@example.com/x.git", "holds a password")]
    [InlineData("--git-url", "https://ghp_hunter2@127.0.0.1:1/x.git", "holds a user name")]
    [InlineData("--git-interval", "0s", "too short")]
    public async Task A_bad_git_flag_exits_non_zero_naming_the_flag(string flag, string value, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("agent-run-flags-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, "manifests"));
            string[] args = ["run", "--manifests", Path.Combine(dir.FullName, "manifests"), "--state-dir", Path.Combine(dir.FullName, "state"),
                "--instance", "runflags" + Guid.NewGuid().ToString("N")[..8], "--urls", "http://127.0.0.1:0"];
            if (flag != "--git-url") args = [.. args, "--git-url", "file:///nonexistent/repo.git"];
            var (exit, stdout, stderr) = await AgentCli.RunAsync([.. args, flag, value]);
            Assert.Equal(2, exit);
            Assert.Contains(flag, stderr);
            Assert.Contains(expected, stderr);
            Assert.DoesNotContain("hunter2", stdout + stderr);
            Assert.DoesNotContain("ready", stdout + stderr, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
