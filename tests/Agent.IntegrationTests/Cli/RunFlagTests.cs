using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Cli;

/// <summary>`agent run` with a bad --git-url or --git-interval stops at once with the field's error, never echoing a
/// password or a token given as the URL's user name (probe finding 8, probe-13 F3, issue 13); --git-url with a
/// --manifests folder that cannot be read stops too (probe-13c C5: the repository was silently never fetched).</summary>
public sealed class RunFlagTests
{
    [Theory]
    [InlineData("--git-url", "https://u:hunter2@example.com/x.git", "holds a password")]
    [InlineData("--git-url", "https://ghp_hunter2@127.0.0.1:1/x.git", "holds a user name")]
    [InlineData("--git-interval", "0s", "too short")]
    [InlineData("--git-ref", "main..x", "is not a valid branch name")]
    [InlineData("--git-ref", "semver:banana", "is not a semver range")]
    [InlineData("--git-path", "..", "must be a folder inside the repository")]
    public Task A_bad_git_flag_exits_non_zero_naming_the_flag(string flag, string value, string expected) => InTempDirAsync(async dir =>
    {
        Directory.CreateDirectory(Path.Combine(dir, "manifests"));
        string[] args = ["run", "--manifests", Path.Combine(dir, "manifests"), .. Common(dir)];
        if (flag != "--git-url") args = [.. args, "--git-url", "file:///nonexistent/repo.git"];
        var (exit, stdout, stderr) = await AgentCli.RunAsync([.. args, flag, value]);
        AssertStopped(exit, stdout, stderr, flag, expected);
        Assert.DoesNotContain("hunter2", stdout + stderr);
    });

    [Fact]
    public Task Git_url_with_a_manifests_folder_that_does_not_exist_exits_2_naming_the_flag() => InTempDirAsync(async dir =>
    {
        var (exit, stdout, stderr) = await AgentCli.RunAsync(["run", "--manifests", Path.Combine(dir, "typo"), .. Common(dir), "--git-url", "file:///nonexistent/repo.git"]);
        AssertStopped(exit, stdout, stderr, "--manifests: manifests folder", "does not exist");
    });

    [Fact]
    public Task Git_url_beside_a_manifest_GitRepository_of_the_same_name_exits_2_naming_it() => InTempDirAsync(async dir =>
    {
        var manifests = Directory.CreateDirectory(Path.Combine(dir, "m")).FullName;
        File.WriteAllText(Path.Combine(manifests, "d.yaml"), "apiVersion: agent/v1\nkind: GitRepository\nmetadata: { name: default }\nspec: { url: \"file:///nonexistent/other.git\" }\n");
        var (exit, stdout, stderr) = await AgentCli.RunAsync(["run", "--manifests", manifests, .. Common(dir), "--git-url", "file:///nonexistent/repo.git"]);
        AssertStopped(exit, stdout, stderr, "--git-url: the manifests also define GitRepository default (d.yaml:1)", "Agent:Git:Name");
    });

    [Fact]
    public Task Git_url_without_a_folder_whose_last_run_applied_folder_objects_exits_2_instead_of_pruning_them() => InTempDirAsync(async dir =>
    {
        var state = Directory.CreateDirectory(Path.Combine(dir, "state")).FullName;
        File.WriteAllText(Path.Combine(state, "manifest-files.json"), "{\"ServiceGroup/web\": \"web.yaml\", \"GitRepository/default\": \"--git-url\"}");
        // No --manifests, and no ./manifests in the working directory (the repository root holds the demo's).
        var (exit, stdout, stderr) = await AgentCli.RunInAsync(dir, ["run", .. Common(dir), "--git-url", "file:///nonexistent/repo.git"]);
        AssertStopped(exit, stdout, stderr, "--manifests: there is no manifests folder", "applied 1 object(s) from one (ServiceGroup/web)");
    });

    private static string[] Common(string dir) =>
        ["--state-dir", Path.Combine(dir, "state"), "--instance", "runflags" + Guid.NewGuid().ToString("N")[..8], "--urls", "http://127.0.0.1:0"];

    private static void AssertStopped(int exit, string stdout, string stderr, string flag, string expected)
    {
        Assert.Equal(2, exit);
        Assert.Contains(flag, stderr);
        Assert.Contains(expected, stderr);
        Assert.DoesNotContain("ready", stdout + stderr, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task InTempDirAsync(Func<string, Task> test)
    {
        var dir = Directory.CreateTempSubdirectory("agent-run-flags-");
        try
        {
            await test(dir.FullName);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
