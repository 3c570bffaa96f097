using System.Net.Http.Json;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;
using Agent.Sources;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>A real agent whose manifests folder holds a GitRepository pointing at a local repository.</summary>
public abstract class GitScenario(IDictionary<string, string?>? settings = null) : SourceScenario(settings)
{
    protected TestGitRepository Repo { get; } = new();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Repo.Dispose();
    }

    protected static string GitRepositoryManifest(string name, string url, string extraSpec = "", string interval = "1s") =>
        $"apiVersion: agent/v1\nkind: GitRepository\nmetadata:\n  name: {name}\nspec:\n  url: {url}\n  ref:\n    branch: main\n  interval: {interval}\n{extraSpec}";

    /// <summary>The common start: the repository holds one group at <paramref name="file"/>, GitRepository "platform" follows
    /// it, the agent runs and the group is ready. Returns the commit applied and a snapshot of the group.</summary>
    protected async Task<(string Commit, string Before)> StartWithGroupAsync(string group, string file = "web.yaml", string extraSpec = "")
    {
        Repo.Write(file, Sleepy(group));
        var commit = Repo.CommitAndPush(group);
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl, extraSpec));
        await Agent.StartAsync();
        await WaitAppliedAsync("platform", commit);
        await Agent.WaitReadyAsync(group);
        return (commit, await SnapshotAsync(group));
    }

    /// <summary>The GitRepository as GET /api/v1/objects lists it (what `agent get all` and `describe` show).</summary>
    protected async Task<JsonElement?> ListedAsync(string name) =>
        (await ApiAsync("/api/v1/objects")).EnumerateArray()
        .Where(o => o.GetProperty("kind").GetString() == "GitRepository" && o.GetProperty("name").GetString() == name)
        .Select(o => (JsonElement?)o).FirstOrDefault();

    /// <summary>A condition of an object or GitRepository as the API shows it; empty strings when it has none.</summary>
    protected static (string Status, string Reason, string Message) Condition(JsonElement o, string type) =>
        o.GetProperty("conditions").EnumerateArray().Where(c => c.GetProperty("type").GetString() == type)
            .Select(c => (c.GetProperty("status").GetString()!, c.GetProperty("reason").GetString()!, c.GetProperty("message").GetString()!))
            .FirstOrDefault(("", "", ""));

    protected GitRepositoryStatus? RepoStatus(string name) => Agent.Services.GetRequiredService<GitRepositoryStatusStore>().Get(name);

    protected Task<GitRepositoryStatus> WaitRepoAsync(string name, Func<GitRepositoryStatus, bool> done, string what, TimeSpan? within = null) =>
        Eventually.ReturnsAsync(() => Task.FromResult(RepoStatus(name)!), s => s is not null && done(s), within ?? TimeSpan.FromSeconds(60), $"GitRepository {name}: {what}");

    protected Task<GitRepositoryStatus> WaitAppliedAsync(string name, string commit) =>
        WaitRepoAsync(name, s => s.LastAppliedRevision == $"main@sha1:{commit}" && s.Condition("Ready")?.Status == "True", $"revision {commit} applied");

    protected async Task<JsonElement> ApiAsync(string path)
    {
        using var client = Agent.Client();
        var token = File.ReadAllLines(Path.Combine(Agent.StateDir, "tokens")).First(l => l.StartsWith("admin:", StringComparison.Ordinal))[6..];
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return await client.GetFromJsonAsync<JsonElement>(path);
    }
}
