using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>`agent validate`, `diff` and `apply --once` do not fetch: each says, per GitRepository, whether its contents
/// were evaluated (at the checkout a daemon left in the state dir) or not at all.</summary>
public sealed class GitOneShotTests : IAsyncLifetime
{
    private readonly TestInstance instance = new();
    private readonly string state = Directory.CreateTempSubdirectory("agent-it-gitcli-state-").FullName;
    private readonly string folder = Directory.CreateTempSubdirectory("agent-it-gitcli-").FullName;

    public Task InitializeAsync() => instance.InitializeAsync();

    public async Task DisposeAsync()
    {
        await instance.DisposeAsync();
        Directory.Delete(state, recursive: true);
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task One_shot_commands_say_per_repository_that_its_contents_were_not_evaluated()
    {
        File.WriteAllText(Path.Combine(folder, "platform.yaml"),
            "apiVersion: agent/v1\nkind: GitRepository\nmetadata: { name: platform }\nspec:\n  url: file:///nonexistent/platform.git\n");
        var validate = await AgentCli.RunAsync("validate", folder);
        Assert.True(validate.Exit == 0, validate.Stdout + validate.Stderr);
        Assert.Contains("GitRepository/platform: its contents were not fetched or validated", validate.Stderr);

        var diff = await AgentCli.RunAsync("diff", folder, "--instance", instance.Id, "--state-dir", state);
        Assert.True(diff.Exit == 0, diff.Stdout + diff.Stderr);
        Assert.Contains("GitRepository/platform: not evaluated: no checkout in", diff.Stderr);
        Assert.Contains("in sync", diff.Stdout);
    }
}
