using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>probe-28 F3: a sync waited for (`POST .../sync?wait=true`, what CI runs as `flux reconcile source git`) answers
/// whether its revision is applied: a revision whose removals the mass-prune guard holds is not.</summary>
public sealed class GitPruneGuardTests : GitScenario
{
    [Fact]
    public async Task A_sync_waited_for_answers_PruneBlocked_for_a_revision_whose_removals_are_held()
    {
        var names = Enumerable.Range(1, 3).Select(i => Instance.Name($"gpg{i}")).ToList();
        foreach (var name in names) Repo.Write($"{name}.yaml", Sleepy(name));
        Repo.Write("readme.txt", "groups\n");
        var commit = Repo.CommitAndPush("three groups");
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl, interval: "1h")); // only the sync below fetches
        await Agent.StartAsync();
        await WaitAppliedAsync("platform", commit);
        var before = new Dictionary<string, string>();
        foreach (var name in names)
        {
            await Agent.WaitReadyAsync(name);
            before[name] = await SnapshotAsync(name);
        }

        foreach (var name in names) Repo.Delete($"{name}.yaml");
        var dropped = Repo.CommitAndPush("drop the groups"); // 3 of the 4 managed objects
        using var client = Agent.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            File.ReadAllLines(Path.Combine(Agent.StateDir, "tokens")).First(l => l.StartsWith("admin:", StringComparison.Ordinal))[6..]);
        var sync = await client.PostAsync("/api/v1/gitrepositories/platform/sync?wait=true", null);
        Assert.Equal(HttpStatusCode.Accepted, sync.StatusCode);
        var answer = JsonDocument.Parse(await sync.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal($"main@sha1:{dropped}", answer.GetProperty("lastAppliedRevision").GetString());
        var (status, reason, message) = Condition(answer, "Ready");
        Assert.True(status == "False" && reason == "PruneBlocked", $"Ready {status} {reason}: {message}");
        Assert.Contains("the removal of 3 object(s) it no longer has is held by the mass-prune guard", message);
        foreach (var name in names) await AssertUnchangedAsync(before[name], name);
    }
}
