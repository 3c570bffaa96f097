using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>A repository holds compose stacks too: a stack folder under spec.path is a project, its relative paths
/// resolve inside the checkout, and a file that reaches outside the checkout refuses the revision (issue 13).</summary>
public sealed class GitComposeTests : GitScenario
{
    [Fact]
    public async Task A_compose_stack_in_a_repository_runs_with_relative_files_inside_the_checkout_and_none_outside_it()
    {
        var project = Instance.Name("gitstack");
        string Compose(string envFiles) =>
            $"services:\n  web:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n    env_file: [{envFiles}]\n";
        Repo.Write($"stacks/{project}/compose.yaml", Compose("../../common/web.env")).Write("common/web.env", "GREETING=hello-from-git\n");
        var first = Repo.CommitAndPush("stack");
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl, "  path: stacks\n"));
        await Agent.StartAsync();
        await WaitAppliedAsync("platform", first);
        await Agent.WaitProjectReadyAsync(project);
        Assert.Contains("GREETING=hello-from-git", await DockerCli.InspectAsync($"{project}-web-1", "{{range .Config.Env}}{{println .}}{{end}}"));
        var before = await Containers.RunningAsync(Instance, project, 1);

        // A revision whose stack reads a host file through ../.. is refused, named at the env_file entry.
        var outside = Path.GetRelativePath(Path.Combine(Repo.Work, "stacks", project), "/etc/hostname");
        Repo.Write($"stacks/{project}/compose.yaml", Compose($"../../common/web.env, {outside}"));
        var escaping = Repo.CommitAndPush("reads a host file");
        var refused = await WaitRepoAsync("platform", s => s.LastFetchedRevision == $"main@sha1:{escaping}" && s.Condition("Stalled")?.Status == "True", "refused");
        Assert.Equal("InvalidRevision", refused.Condition("Ready")!.Reason);
        Assert.Contains(refused.ManifestErrors, e => e.StartsWith($"GitRepository/platform/stacks/{project}/compose.yaml:6:", StringComparison.Ordinal)
                                                   && e.Contains("is outside the repository's checkout", StringComparison.Ordinal));
        Assert.Equal(before.Select(r => r.Id), (await Containers.RunningAsync(Instance, project, 1)).Select(r => r.Id));
    }
}
