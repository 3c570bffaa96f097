using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>A checkout damaged in the state dir is never read as files deleted in git (issue 13, probe C10).</summary>
public sealed class GitCheckoutDamageTests : GitScenario
{
    [Fact]
    public async Task A_file_missing_from_the_checkout_at_restart_prunes_nothing_and_the_unchanged_commit_is_checked_out_again()
    {
        var web = Instance.Name("dmg-web");
        var api = Instance.Name("dmg-api");
        var db = Instance.Name("dmg-db");
        Repo.Write("api.yaml", Sleepy(api));
        Repo.Write("db.yaml", Sleepy(db));
        var (commit, _) = await StartWithGroupAsync(web);
        await Agent.WaitReadyAsync(api);
        await Agent.WaitReadyAsync(db);
        var before = await SnapshotAsync(web, api, db);

        await Agent.StopAsync();
        var file = Path.Combine(Agent.StateDir, "git", "platform", "current", "api.yaml");
        File.Delete(file); // a cleaner, a disk error, an admin's mistake: the remote still holds api.yaml
        await Agent.StartAsync();

        await Eventually.TrueAsync(() => Task.FromResult(File.Exists(file)), TimeSpan.FromSeconds(60), "the unchanged commit is checked out again");
        await WaitAppliedAsync("platform", commit);
        await AssertUnchangedAsync(before, web, api, db);
    }

    [Fact]
    public async Task A_current_link_re_pointed_outside_the_state_dir_applies_nothing_from_there_and_the_next_sync_points_it_back()
    {
        // probe-30 F17: STATE/git/NAME/current re-pointed at a folder of the user's holding a new manifest: that object was
        // created and started within seconds; nothing said `current` pointed outside the store.
        var web = Instance.Name("cur-web");
        var evil = Instance.Name("cur-evil");
        Repo.Write("web.yaml", Sleepy(web));
        var commit = Repo.CommitAndPush(web);
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl, interval: "1h"));
        await Agent.StartAsync();
        await WaitAppliedAsync("platform", commit);
        await Agent.WaitReadyAsync(web);
        var before = await SnapshotAsync(web);

        var elsewhere = Directory.CreateTempSubdirectory("agent-elsewhere-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(elsewhere, "web.yaml"), Sleepy(web));
            File.WriteAllText(Path.Combine(elsewhere, "evil.yaml"), Sleepy(evil));
            var folder = Path.Combine(Agent.StateDir, "git", "platform");
            File.Delete(Path.Combine(folder, "current"));
            File.CreateSymbolicLink(Path.Combine(folder, "current"), elsewhere);
            Agent.Write("other.yaml", Sleepy(Instance.Name("cur-other"))); // a change in the manifests folder: a reload
            await Agent.WaitReadyAsync(Instance.Name("cur-other"));
            await AssertUnchangedAsync(before, web); // held as it is, not pruned
            Assert.Empty(await Containers.OfAsync(Instance, evil));
            await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(30), "current", "which is not a checkout of the state dir");

            using var admin = Agent.Client(Agent.GeneratedAdminToken);
            var answer = await admin.PostAsync("/api/v1/gitrepositories/platform/sync?wait=true", null);
            Assert.Equal(System.Net.HttpStatusCode.Accepted, answer.StatusCode);
            Assert.Equal(commit, new FileInfo(Path.Combine(folder, "current")).LinkTarget);
            await Agent.WaitReadyAsync(web);
            Assert.Equal(before, await SnapshotAsync(web));
            Assert.Empty(await Containers.OfAsync(Instance, evil));
            Assert.Equal(["evil.yaml", "web.yaml"], Directory.EnumerateFiles(elsewhere).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }
}
