using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>probe-17 F5: a GitRepository's sync while the agent's state dir is moved away.</summary>
public sealed class GitStateDirTests : GitScenario
{
    private const string OperatorToken = "operator-token-0123456789abcdef";
    private readonly string tokens;

    public GitStateDirTests() : this(Path.GetTempFileName())
    {
    }

    // The tokens file lives outside the state dir: moving the state dir away must not change who may call the API.
    private GitStateDirTests(string tokens) : base(new Dictionary<string, string?> { ["Agent:Auth:TokensFile"] = tokens })
    {
        this.tokens = tokens;
        File.WriteAllText(tokens, $"operator:{OperatorToken}\n");
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        File.Delete(tokens);
    }

    /// <summary>Before: `sync?wait=true` hung 5 minutes, then answered 202 with a stale Ready=True "Succeeded" and
    /// Reconciling "fetching"; the status never showed the failing syncs. Now the sync ends at once as failed: Ready=False
    /// StateDirMissing (no host path in it), Stalled, a Warning event, the applied revision still shown, nothing fetched,
    /// pruned or recreated, and the state dir not made again; moved back, the next sync applies the new commit.</summary>
    [Fact]
    public async Task A_sync_request_while_the_state_dir_is_moved_away_answers_at_once_with_Ready_False_StateDirMissing_and_nothing_is_pruned()
    {
        var web = Instance.Name("git-sd");
        Repo.Write("web.yaml", Sleepy(web));
        var first = Repo.CommitAndPush("web");
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl, interval: "1h"));
        await Agent.StartAsync();
        await WaitAppliedAsync("platform", first);
        await Agent.WaitReadyAsync(web);
        var before = await SnapshotAsync(web);

        using var client = Agent.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperatorToken);
        var moved = Agent.StateDir + ".moved";
        Directory.Move(Agent.StateDir, moved);
        try
        {
            Repo.Write("web.yaml", Sleepy(web, 1));
            var second = Repo.CommitAndPush("web v1");
            var watch = Stopwatch.StartNew();
            var sync = await client.PostAsync("/api/v1/gitrepositories/platform/sync?wait=true", null); // the client gives up after 60 s
            watch.Stop();
            var body = await sync.Content.ReadAsStringAsync();
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(45), $"answered after {watch.Elapsed.TotalSeconds:0.0}s");
            Assert.Equal(HttpStatusCode.Accepted, sync.StatusCode);
            var answer = JsonDocument.Parse(body).RootElement;
            Assert.Equal(("False", "StateDirMissing"), (Condition(answer, "Ready").Status, Condition(answer, "Ready").Reason));
            Assert.Contains("state dir is missing", Condition(answer, "Ready").Message);
            Assert.Contains($"main@sha1:{first} stays applied", Condition(answer, "Ready").Message);
            Assert.Equal("False", Condition(answer, "Reconciling").Status);
            Assert.Equal(("True", "StateDirMissing"), (Condition(answer, "Stalled").Status, Condition(answer, "Stalled").Reason));
            Assert.Equal($"main@sha1:{first}", answer.GetProperty("lastAppliedRevision").GetString());
            Assert.DoesNotContain(Agent.StateDir, body); // viewers read the status: no host path
            Assert.Contains(answer.GetProperty("events").EnumerateArray(),
                e => e.GetProperty("type").GetString() == "Warning" && e.GetProperty("reason").GetString() == "StateDirMissing");

            // GET shows the same; nothing pruned or recreated; the state dir is not made again.
            var listed = await ApiWithAsync(client, "/api/v1/gitrepositories/platform");
            Assert.Equal(("False", "StateDirMissing"), (Condition(listed, "Ready").Status, Condition(listed, "Ready").Reason));
            await AssertUnchangedAsync(before, web);
            Assert.False(Directory.Exists(Agent.StateDir));

            Directory.Move(moved, Agent.StateDir);
            var back = await client.PostAsync("/api/v1/gitrepositories/platform/sync?wait=true", null);
            Assert.Equal(HttpStatusCode.Accepted, back.StatusCode);
            await WaitAppliedAsync("platform", second);
            await WaitForCommandAsync(web, 1);
        }
        finally
        {
            if (Directory.Exists(moved) && !Directory.Exists(Agent.StateDir)) Directory.Move(moved, Agent.StateDir);
        }
    }

    private static async Task<JsonElement> ApiWithAsync(HttpClient client, string path) =>
        JsonDocument.Parse(await client.GetStringAsync(path)).RootElement;
}
