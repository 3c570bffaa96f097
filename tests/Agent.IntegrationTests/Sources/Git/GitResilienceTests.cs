using System.Text.RegularExpressions;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>A revision without spec.path is refused at spec.path's line and nothing is pruned; a stalled remote delays no
/// other repository (issue 13).</summary>
public sealed class GitResilienceTests : GitScenario
{
    [Fact]
    public async Task A_revision_without_spec_path_is_refused_at_the_manifest_line_of_spec_path_and_nothing_is_pruned()
    {
        var web = Instance.Name("git-path");
        var (first, before) = await StartWithGroupAsync(web, "apps/web.yaml", "  path: apps\n");

        // A commit that moves the folder away: not applied, reported at spec.path (line 10, column 9 of platform.yaml).
        Repo.Delete("apps/web.yaml").Write("elsewhere/web.yaml", Sleepy(web, 1));
        var moved = Repo.CommitAndPush("apps moved");
        var refused = await WaitRepoAsync("platform", s => s.LastFetchedRevision == $"main@sha1:{moved}" && s.Condition("Stalled")?.Status == "True", "refused");
        Assert.Equal("PathNotFound", refused.Condition("Ready")!.Reason);
        Assert.Equal("False", refused.Condition("Ready")!.Status);
        Assert.Equal($"main@sha1:{first}", refused.LastAppliedRevision);
        var error = Assert.Single(refused.ManifestErrors);
        Assert.StartsWith("platform.yaml:10:9: spec.path: \"apps\" is not a folder in revision main@sha1:" + moved, error);
        Assert.Contains("platform.yaml:10:9", refused.Condition("Ready")!.Message);
        await AssertUnchangedAsync(before, web);

        // The manifest now names a folder the applied revision lacks: the same, and still nothing pruned.
        Repo.ForcePush(first);
        await WaitAppliedAsync("platform", first);
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl, "  path: nowhere\n"));
        var wrongPath = await WaitRepoAsync("platform", s => s.Condition("Ready")?.Reason == "PathNotFound", "spec.path changed to a missing folder");
        Assert.StartsWith("platform.yaml:10:9: spec.path: \"nowhere\" is not a folder in revision main@sha1:" + first, Assert.Single(wrongPath.ManifestErrors));
        await AssertUnchangedAsync(before, web);
        var errors = await ApiAsync("/api/v1/objects");
        Assert.Contains("platform.yaml:10:9: spec.path", errors.GetRawText());
        Assert.DoesNotContain("GitRepository/platform:1:1", errors.GetRawText());
    }

    /// <summary>probe-17 F8: before, a build context outside spec.path but inside the checkout (`context: ..` from apps/)
    /// was refused as "outside the manifests folder", and `../..` named the state dir's host path. Now `..` builds from the
    /// checkout's root (like compose files, env files and binds may reach outside spec.path), and `../..` is refused as
    /// outside the repository's checkout, with no host path; the running container stays.</summary>
    [Fact]
    public async Task A_build_context_outside_spec_path_but_inside_the_checkout_builds_and_one_outside_the_checkout_is_refused_without_a_host_path()
    {
        var g = Instance.Name("git-ctx");
        string App(string context) => Manifest.Group(g, $"    - name: app\n      build:\n        context: \"{context}\"\n" +
            $"        dockerfileInline: \"FROM {TestEngine.Image}\\nCOPY . /ctx\\nCMD [\\\"sleep\\\", \\\"3600\\\"]\\n\"\n      stopSignal: SIGKILL\n");
        Repo.Write("README", "top of the repository\n").Write("apps/web.yaml", App(".."));
        var first = Repo.CommitAndPush("context ..");
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl, "  path: apps\n"));
        await Agent.StartAsync();
        await WaitAppliedAsync("platform", first);
        await Agent.WaitReadyAsync(g, TimeSpan.FromSeconds(120));
        Assert.Equal("top of the repository", await DockerCli.RunAsync("exec", $"{g}-app-1", "cat", "/ctx/README"));
        Assert.Equal("/ctx/apps/web.yaml", await DockerCli.RunAsync("exec", $"{g}-app-1", "ls", "/ctx/apps/web.yaml"));
        var before = await SnapshotAsync(g);

        Repo.Write("apps/web.yaml", App("../.."));
        var outside = Repo.CommitAndPush("context ../..");
        var refused = await WaitRepoAsync("platform", s => s.LastFetchedRevision == $"main@sha1:{outside}" && s.Condition("Ready")?.Reason == "InvalidRevision", "refused");
        Assert.Equal($"main@sha1:{first}", refused.LastAppliedRevision);
        var error = Assert.Single(refused.ManifestErrors);
        Assert.Contains("build context \"../..\" is outside the repository's checkout", error);
        var shown = (await ApiAsync("/api/v1/gitrepositories/platform")).GetRawText() + (await ApiAsync("/api/v1/objects")).GetRawText();
        Assert.DoesNotContain(Agent.StateDir, shown);
        await AssertUnchangedAsync(before, g);
    }

    /// <summary>probe-17 F9: before, after spec.ref changed to a branch that does not exist, lastAppliedRevision (and
    /// `agent get gitrepositories` REVISION) said nosuchbranch@sha1:OLD, a commit that branch never had. Now the applied
    /// revision keeps the ref it was fetched from, Ready=False FetchFailed names the missing ref, nothing is pruned.</summary>
    [Fact]
    public async Task After_spec_ref_changes_to_a_missing_branch_the_applied_revision_keeps_the_ref_it_came_from()
    {
        var web = Instance.Name("git-ref");
        var (first, before) = await StartWithGroupAsync(web);

        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl).Replace("branch: main", "branch: nosuchbranch"));
        var failed = await WaitRepoAsync("platform", s => s.Ref.Contains("nosuchbranch") && s.Condition("Ready") is { Status: "False", Reason: "FetchFailed" },
            "the missing branch fails the fetch");
        Assert.Contains("nosuchbranch", failed.Condition("Ready")!.Message);
        Assert.Equal($"main@sha1:{first}", failed.LastAppliedRevision);
        var listed = await ApiAsync("/api/v1/gitrepositories/platform");
        Assert.Equal($"main@sha1:{first}", listed.GetProperty("lastAppliedRevision").GetString());
        var objects = await ListedAsync("platform");
        Assert.Equal($"main@sha1:{first}", objects!.Value.GetProperty("lastAppliedRevision").GetString());
        await AssertUnchangedAsync(before, web);
        Assert.Equal($"main@sha1:{first}", RepoStatus("platform")!.LastAppliedRevision); // after a few more failed syncs too

        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl));
        await WaitAppliedAsync("platform", first);
        await AssertUnchangedAsync(before, web);
    }

    [Fact]
    public async Task A_broken_edit_of_the_GitRepository_manifest_is_shown_on_it_and_its_last_good_spec_keeps_syncing()
    {
        var web = Instance.Name("git-edit");
        var (_, before) = await StartWithGroupAsync(web, "apps/web.yaml", "  path: apps\n");

        // interval 0s is refused at line 9: the repository shows it (not only the log), and runs on at its last good spec.
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl, "  path: apps\n", interval: "0s"));
        var listed = await Eventually.ReturnsAsync(() => ListedAsync("platform"),
            o => o is { } g && Condition(g, "Ready") is ("False", "InvalidManifest", _), TimeSpan.FromSeconds(30), "Ready=False InvalidManifest listed");
        var (_, _, message) = Condition(listed!.Value, "Ready");
        Assert.Contains("platform.yaml:9:", message);
        Assert.Contains("spec.interval", message);
        Assert.Contains(listed.Value.GetProperty("manifestErrors").EnumerateArray(), e => e.GetString()!.StartsWith("platform.yaml:9:", StringComparison.Ordinal));
        Assert.Contains(listed.Value.GetProperty("events").EnumerateArray(), e => e.GetProperty("reason").GetString() == "InvalidManifest");
        Assert.True(listed.Value.GetProperty("generation").GetInt64() >= 1);
        var api = await ApiAsync("/api/v1/gitrepositories/platform");
        Assert.Contains("InvalidManifest", api.GetProperty("conditions").GetRawText());
        await AssertUnchangedAsync(before, web);
        Repo.Write("apps/web.yaml", Sleepy(web, 1));
        Repo.CommitAndPush("web v1");
        await WaitForCommandAsync(web, 1);

        // A GitRepository that never loaded is listed at once, as itself.
        Agent.Write("bad.yaml", GitRepositoryManifest("bad", Repo.FileUrl, interval: "0s"));
        var bad = await Eventually.ReturnsAsync(() => ListedAsync("bad"), o => o is not null, TimeSpan.FromSeconds(30), "the new invalid GitRepository listed");
        var (badStatus, badReason, _) = Condition(bad!.Value, "Ready");
        Assert.Equal(("False", "InvalidManifest"), (badStatus, badReason));
        Assert.Contains("bad.yaml:9:", bad.Value.GetProperty("source").GetString());

        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl, "  path: apps\n"));
        var fixedShown = await Eventually.ReturnsAsync(() => ListedAsync("platform"), o => o is { } g && Condition(g, "Ready").Status == "True",
            TimeSpan.FromSeconds(30), "listed Ready again");
        Assert.Empty(fixedShown!.Value.GetProperty("manifestErrors").EnumerateArray());
    }

    [Fact]
    public async Task A_revision_checked_out_while_the_manifests_folder_cannot_be_read_is_not_shown_applied_until_a_read_takes_it_in()
    {
        var web = Instance.Name("git-away");
        var (first, before) = await StartWithGroupAsync(web);
        var away = Agent.Manifests + "-away";
        Directory.Move(Agent.Manifests, away); // an unmounted or moved folder: nothing is read from it or from git
        try
        {
            await WaitHeldAsync(web, "SourceUnavailable");
            Repo.Write("web.yaml", Sleepy(web, 1));
            var second = Repo.CommitAndPush("web v1");
            await WaitRepoAsync("platform", s => s.LastAppliedRevision == $"main@sha1:{second}", "the new commit checked out");

            var shown = await ApiAsync("/api/v1/gitrepositories/platform");
            Assert.Equal($"main@sha1:{first}", shown.GetProperty("lastAppliedRevision").GetString());
            Assert.Equal($"main@sha1:{second}", shown.GetProperty("lastFetchedRevision").GetString());
            var (status, reason, message) = Condition(shown, "Ready");
            Assert.Equal(("False", "SourceUnavailable"), (status, reason));
            Assert.StartsWith($"revision main@sha1:{second} is checked out but not applied: manifests folder {Agent.Manifests} does not exist", message);
            var listed = await ListedAsync("platform");
            Assert.Equal(("False", "SourceUnavailable"), (Condition(listed!.Value, "Ready").Status, Condition(listed.Value, "Ready").Reason));
            await AssertUnchangedAsync(before, web);
            Assert.Contains("\"3600\"", await CommandAsync(web)); // still the first revision's command, as the engine says

            Directory.Move(away, Agent.Manifests);
            await WaitForCommandAsync(web, 1);
            var applied = await Eventually.ReturnsAsync(() => ApiAsync("/api/v1/gitrepositories/platform"),
                r => Condition(r, "Ready").Status == "True", TimeSpan.FromSeconds(30), "Ready again once the folder reads");
            Assert.Equal($"main@sha1:{second}", applied.GetProperty("lastAppliedRevision").GetString());
        }
        finally
        {
            if (!Directory.Exists(Agent.Manifests)) Directory.Move(away, Agent.Manifests);
        }
    }

    [Fact]
    public async Task A_stalled_remote_does_not_delay_another_repository()
    {
        var web = Instance.Name("git-beside");
        Repo.Write("web.yaml", Sleepy(web));
        var first = Repo.CommitAndPush("web");
        using var daemon = new GitDaemon(Path.GetDirectoryName(Repo.Bare)!);
        using var stalled = new StallingRemote(daemon.Port);
        Agent.Write("stuck.yaml", GitRepositoryManifest("stuck", stalled.Url("remote.git"), "  timeout: 10m\n"));
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl));
        await Agent.StartAsync();
        await WaitAppliedAsync("platform", first);
        await Agent.WaitReadyAsync(web);
        Assert.True(stalled.Connections > 0, "the stalled remote was asked");

        // The stuck fetch still hangs (10 minutes' timeout) while the other repository applies a new commit.
        Repo.Write("web.yaml", Sleepy(web, 1));
        var second = Repo.CommitAndPush("web v1");
        await WaitAppliedAsync("platform", second);
        await WaitForCommandAsync(web, 1);
        Assert.Equal("True", RepoStatus("stuck")!.Condition("Reconciling")!.Status);
        Assert.Null(RepoStatus("stuck")!.LastAppliedRevision);

        // Both are objects of the API and of `agent get` / `agent describe`, with kubectl-style columns.
        var objects = (await ApiAsync("/api/v1/objects")).EnumerateArray().Where(o => o.GetProperty("kind").GetString() == "GitRepository").ToList();
        Assert.Equal(["platform", "stuck"], objects.Select(o => o.GetProperty("name").GetString()).Order());
        var platform = objects.Single(o => o.GetProperty("name").GetString() == "platform");
        Assert.Equal($"main@sha1:{second}", platform.GetProperty("lastAppliedRevision").GetString());
        Assert.Equal(Repo.FileUrl, platform.GetProperty("gitRepository").GetProperty("url").GetString());
        Assert.Equal("platform.yaml:1:1", platform.GetProperty("source").GetString());

        var table = (await CliAsync("get", "gitrepositories")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+URL\s+REF\s+REVISION\s+SUSPENDED\s+READY\s+STATUS\s+AGE$", table[0]);
        Assert.Matches($@"^platform\s+{Regex.Escape(Repo.FileUrl)}\s+branch main\s+main@sha1:{second[..12]}\s+False\s+True\s+revision main@sha1:{second} is applied\s+\d+s$", table[1]);
        Assert.True(Regex.IsMatch(table[2], $@"^stuck\s+git://127\.0\.0\.1:{stalled.Port}/remote\.git\s+branch main\s+<none>\s+False\s+Unknown\s+not fetched yet\s+\d+s$"), string.Join("\n", table));
        Assert.Equal(2, (await CliAsync("get", "gitrepository", "stuck")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var described = await CliAsync("describe", "gitrepository", "platform");
        Assert.Contains("Kind:         GitRepository", described);
        Assert.Matches($@"(?m)^Applied Revision:\s+main@sha1:{second}$", described);
        Assert.Matches(@"(?m)^  Ready\s+True\s+Succeeded\s", described);
        Assert.Matches(@"(?m)^Generation:\s+1 \(observed 1\)$", described);
        Assert.Contains($"gitrepository/stuck ", await CliAsync("get", "all"));

        // Deleting the stuck repository's manifest stops its fetch at once (not after its 10 minutes) and removes its checkouts.
        Agent.Delete("stuck.yaml");
        await Eventually.TrueAsync(() => Task.FromResult(!Directory.Exists(Path.Combine(Agent.StateDir, "git", "stuck")) && RepoStatus("stuck") is null),
            TimeSpan.FromSeconds(30), "the deleted repository's fetch stopped and its checkouts removed");
    }

    private async Task<string> CliAsync(params string[] args)
    {
        var token = File.ReadAllLines(Path.Combine(Agent.StateDir, "tokens")).First(l => l.StartsWith("admin:", StringComparison.Ordinal))[6..];
        var (exit, stdout, stderr) = await AgentCli.RunAsync(new Dictionary<string, string> { ["AGENT_Urls"] = Agent.BaseAddress.ToString(), ["AGENT_TOKEN"] = token }, args);
        Assert.True(exit == 0, $"agent {string.Join(' ', args)} exited {exit}\n{stdout}\n{stderr}");
        return stdout;
    }
}
