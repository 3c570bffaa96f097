using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>GitOps over file://: a new commit is applied, a broken one is refused with the previous revision still running,
/// a force-push back converges, an unreachable remote keeps everything running and reports Stalled (issue 13).</summary>
public sealed class GitSourceTests : GitScenario
{
    [Fact]
    public async Task A_new_commit_is_applied_and_its_objects_carry_the_revision()
    {
        var web = Instance.Name("git-web");
        Repo.Write("apps/web.yaml", Sleepy(web));
        var first = Repo.CommitAndPush("web v0");
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl, "  path: apps\n"));
        await Agent.StartAsync();

        await WaitAppliedAsync("platform", first);
        var ready = await Agent.WaitReadyAsync(web);
        Assert.Equal($"main@sha1:{first}", ready.LastAppliedRevision);
        Assert.Equal("GitRepository/platform/apps/web.yaml:1:1", ready.Source);

        Repo.Write("apps/web.yaml", Sleepy(web, 1));
        var second = Repo.CommitAndPush("web v1");
        await WaitForCommandAsync(web, 1);
        await WaitAppliedAsync("platform", second);
        await Eventually.TrueAsync(() => Task.FromResult(Agent.Status.Get(new ObjectKey(ServiceGroup.KindName, web))?.LastAppliedRevision == $"main@sha1:{second}"),
            TimeSpan.FromSeconds(30), "the group reports the new revision");

        // The switch is one symlink; old checkouts are cleaned.
        var folder = Path.Combine(Agent.StateDir, "git", "platform");
        Assert.Equal(second, new FileInfo(Path.Combine(folder, "current")).LinkTarget);
        var api = await ApiAsync("/api/v1/gitrepositories/platform");
        Assert.Equal($"main@sha1:{second}", api.GetProperty("lastAppliedRevision").GetString());
    }

    [Fact]
    public async Task A_GitRepository_manifest_deleted_and_written_back_within_the_prune_delay_takes_nothing_down()
    {
        var web = Instance.Name("git-rmcp");
        Repo.Write("apps/web.yaml", Sleepy(web));
        var first = Repo.CommitAndPush("web");
        var manifest = GitRepositoryManifest("platform", Repo.FileUrl, "  path: apps\n");
        Agent.Write("platform.yaml", manifest);
        Agent.Write("local.yaml", Sleepy(Instance.Name("git-rmcp-local"))); // two objects: the mass-prune guard would not hold one
        await Agent.StartAsync();
        await WaitAppliedAsync("platform", first);
        var before = (await Containers.RunningAsync(Instance, web, 1)).Single();
        var started = await DockerCli.InspectAsync(before.Id, "{{.State.StartedAt}}");

        Agent.Delete("platform.yaml"); // an `rm` then `cp` deploy (probe-13c C9): gone for a moment, under Agent:PruneDelay (5 s)
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Agent.Write("platform.yaml", manifest);
        await Task.Delay(TimeSpan.FromSeconds(8)); // past the delay: a prune would have started by now

        Assert.Equal("running", await DockerCli.InspectAsync(before.Id, "{{.State.Status}}"));
        Assert.Equal(started, await DockerCli.InspectAsync(before.Id, "{{.State.StartedAt}}"));
        Assert.Equal(first, new FileInfo(Path.Combine(Agent.StateDir, "git", "platform", "current")).LinkTarget); // checkouts kept
        await Agent.WaitReadyAsync(web);
    }

    [Fact]
    public async Task The_git_url_shorthand_synthesises_a_GitRepository_named_default()
    {
        var web = Instance.Name("shorthand");
        Repo.Write("hosts/a/web.yaml", Sleepy(web)).Write("hosts/b/other.yaml", Sleepy(Instance.Name("not-here")));
        var first = Repo.CommitAndPush("two hosts");
        Agent.Settings["Agent:Git:Url"] = Repo.FileUrl;
        Agent.Settings["Agent:Git:Path"] = "hosts/a";
        Agent.Settings["Agent:Git:Interval"] = "1s";
        await Agent.StartAsync();
        await WaitAppliedAsync("default", first);
        var ready = await Agent.WaitReadyAsync(web);
        Assert.Equal("GitRepository/default/hosts/a/web.yaml:1:1", ready.Source);
        Assert.Empty(await Containers.OfAsync(Instance, Instance.Name("not-here")));
    }

    [Fact]
    public async Task The_git_url_shorthand_needs_no_manifests_folder_when_manifests_is_not_given()
    {
        var web = Instance.Name("git-only");
        Repo.Write("web.yaml", Sleepy(web));
        var first = Repo.CommitAndPush("web");
        // `agent run --git-url URL` in a folder without ./manifests (probe-13c C5): the repository is the only source.
        Agent.Settings["Agent:Manifests"] = Path.Combine(Agent.Manifests, "not-there");
        Agent.Settings["Agent:ManifestsOptional"] = "true";
        Agent.Settings["Agent:Git:Url"] = Repo.FileUrl;
        Agent.Settings["Agent:Git:Interval"] = "1s";
        await Agent.StartAsync();
        await WaitAppliedAsync("default", first);
        Assert.Equal("GitRepository/default/web.yaml:1:1", (await Agent.WaitReadyAsync(web)).Source);
        Assert.Null(Agent.Services.GetRequiredService<global::Agent.Sources.ManifestStore>().SourceError);

        Repo.Write("web.yaml", Sleepy(web, 1));
        Repo.CommitAndPush("web v1");
        await WaitForCommandAsync(web, 1);
    }

    [Fact]
    public async Task Remotes_that_hang_do_not_delay_a_healthy_repository()
    {
        // Eight remotes that accept and never answer (probe-13c C8: they held the 4 sync slots for minutes, one timeout
        // after another, and a healthy repository waited behind them).
        var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        try
        {
            var hanging = Enumerable.Range(1, 8).Select(i => $"hang{i}").ToList();
            foreach (var name in hanging)
                Agent.Write($"{name}.yaml", GitRepositoryManifest(name, $"http://127.0.0.1:{port}/{name}.git", "  timeout: 10m\n"));
            var web = Instance.Name("git-beside-hangs");
            await StartWithGroupAsync(web);
            foreach (var name in hanging)
                await WaitRepoAsync(name, s => s.Condition("Reconciling")?.Status == "True", "fetching from the silent remote");

            Repo.Write("web.yaml", Sleepy(web, 1));
            var second = Repo.CommitAndPush("web v1");
            await WaitAppliedAsync("platform", second);
            await WaitForCommandAsync(web, 1);
            Assert.All(hanging, name => Assert.Equal("True", RepoStatus(name)!.Condition("Reconciling")?.Status)); // still hanging
        }
        finally
        {
            silent.Stop();
        }
    }

    [Fact]
    public async Task A_broken_commit_is_not_applied_is_reported_with_file_and_line_and_the_previous_revision_keeps_running()
    {
        var a = Instance.Name("git-a");
        var b = Instance.Name("git-b");
        Repo.Write("a.yaml", Sleepy(a)).Write("b.yaml", Sleepy(b));
        var good = Repo.CommitAndPush("good");
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl));
        await Agent.StartAsync();
        await WaitAppliedAsync("platform", good);
        await Agent.WaitReadyAsync(a);
        await Agent.WaitReadyAsync(b);
        var before = await SnapshotAsync(a, b);

        // One good change and one broken file in the same commit: the whole revision is refused.
        Repo.Write("a.yaml", Sleepy(a, 1)).Write("b.yaml", Sleepy(b).Replace("stopSignal: SIGKILL", "stopSignal: SIGKILL\n      bogusField: 1"));
        var broken = Repo.CommitAndPush("broken");
        var status = await WaitRepoAsync("platform", s => s.Condition("Stalled")?.Status == "True" && s.LastFetchedRevision == $"main@sha1:{broken}", "broken revision refused");
        Assert.Equal("InvalidRevision", status.Condition("Ready")!.Reason);
        Assert.Equal($"main@sha1:{good}", status.LastAppliedRevision);
        Assert.Contains(status.ManifestErrors, e => e.StartsWith("GitRepository/platform/b.yaml:11:7: spec.services[0]", StringComparison.Ordinal) && e.Contains("bogusField"));
        Assert.Contains("GitRepository/platform/b.yaml:", status.Condition("Ready")!.Message);
        await AssertUnchangedAsync(before, a, b);

        // Fixing it applies the change.
        Repo.Write("b.yaml", Sleepy(b));
        var fixedCommit = Repo.CommitAndPush("fixed");
        await WaitAppliedAsync("platform", fixedCommit);
        await WaitForCommandAsync(a, 1);
    }

    [Fact]
    public async Task A_force_push_to_an_older_commit_converges_back_and_a_file_deleted_in_git_is_pruned()
    {
        var a = Instance.Name("git-fp-a");
        var b = Instance.Name("git-fp-b");
        var c = Instance.Name("git-fp-c");
        Repo.Write("a.yaml", Sleepy(a)).Write("c.yaml", Sleepy(c));
        var old = Repo.CommitAndPush("a and c");
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl));
        await Agent.StartAsync();
        await WaitAppliedAsync("platform", old);
        await Agent.WaitReadyAsync(a);

        Repo.Write("a.yaml", Sleepy(a, 2)).Write("b.yaml", Sleepy(b)).Delete("c.yaml");
        var newer = Repo.CommitAndPush("a v2, b, no c");
        await WaitAppliedAsync("platform", newer);
        await WaitForCommandAsync(a, 2);
        await Agent.WaitReadyAsync(b);
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, c)).Count == 0, TimeSpan.FromSeconds(60), "c (deleted in git) is pruned");

        Repo.ForcePush(old);
        await WaitAppliedAsync("platform", old);
        await WaitForCommandAsync(a, 0);
        await Agent.WaitReadyAsync(c);
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, b)).Count == 0, TimeSpan.FromSeconds(60), "b (not in the older commit) is pruned");
    }

    [Fact]
    public async Task An_unreachable_remote_keeps_everything_running_reports_Stalled_and_fails_readyz_sources()
    {
        var web = Instance.Name("git-away");
        Agent.Settings["Agent:SourceStaleAfter"] = "00:00:03";
        var (first, before) = await StartWithGroupAsync(web);

        Directory.Move(Repo.Bare, Repo.Bare + ".away");
        try
        {
            var stalled = await WaitRepoAsync("platform", s => s.Condition("Stalled")?.Status == "True", "Stalled");
            Assert.Equal("FetchFailed", stalled.Condition("Stalled")!.Reason);
            Assert.Equal($"main@sha1:{first}", stalled.LastAppliedRevision);
            await Eventually.TrueAsync(async () =>
            {
                using var client = Agent.Client();
                var response = await client.GetAsync("/readyz/sources");
                return response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable;
            }, TimeSpan.FromSeconds(30), "/readyz/sources fails once the source is stale");
            await AssertUnchangedAsync(before, web);

            // A restart while the remote is away: the checkout in the state dir keeps everything as it is, and the status
            // shows the applied revision and the last outcome at once (probe-13 F12), here with no fetch at all (suspended).
            Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl, "  suspend: true\n"));
            await WaitRepoAsync("platform", s => s.Suspend && s.Condition("Reconciling")?.Reason == "Suspended", "suspended");
            await Agent.StopAsync();
            await Agent.StartAsync();
            var restored = await WaitRepoAsync("platform", s => s.LastAppliedRevision is not null, "restored");
            Assert.Equal($"main@sha1:{first}", restored.LastAppliedRevision);
            Assert.Equal(("False", "FetchFailed"), (restored.Condition("Ready")!.Status, restored.Condition("Ready")!.Reason));
            Assert.Equal("True", restored.Condition("Stalled")!.Status);
            Assert.NotNull(restored.LastSyncTime);
            Assert.Null(restored.LastAttemptTime); // nothing fetched since the restart
            Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl));
            await WaitRepoAsync("platform", s => s.LastAttemptTime is not null && s.Condition("Stalled")?.Status == "True", "Stalled after a restart");
            await AssertUnchangedAsync(before, web);
            Assert.Equal(ConditionTypes.Ready, (await Agent.WaitReadyAsync(web)).Condition(ConditionTypes.Ready)!.Type);
        }
        finally
        {
            Directory.Move(Repo.Bare + ".away", Repo.Bare);
        }
        await WaitRepoAsync("platform", s => s.Condition("Ready")?.Status == "True", "Ready again");
    }
}
