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
}
