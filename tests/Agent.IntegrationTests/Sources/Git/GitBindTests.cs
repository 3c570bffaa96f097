using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>Relative binds in a repository (a group's volumes, a compose stack's bind mounts) run from copies of their
/// content: confined to the repository's checkout, untouched by checkout cleaning, recreated only when the content
/// changes; errors name repository paths, never staging folders, and a link out of the repository is named (issue 13).</summary>
public sealed class GitBindTests : GitScenario
{
    [Fact]
    public async Task Relative_binds_in_a_repository_run_from_copies_of_their_content_that_outlive_checkout_cleaning()
    {
        var web = Instance.Name("git-bind");
        var project = Instance.Name("gitbindc");
        var app = $"{project}-app-1";
        Repo.Write("apps/web.yaml", Group(web, Sleeper("s", "      volumes: [\"./www:/www:ro\"]\n"))).Write("apps/www/index.html", "v1\n")
            .Write($"apps/{project}/compose.yaml",
                $"services:\n  app:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n    volumes: [\"./conf:/conf:ro\"]\n")
            .Write($"apps/{project}/conf/app.conf", "c1\n");
        var first = Repo.CommitAndPush("binds");
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl, "  path: apps\n"));
        await Agent.StartAsync();
        await WaitAppliedAsync("platform", first);
        await Agent.WaitReadyAsync(web);
        await Agent.WaitProjectReadyAsync(project);
        var container = Assert.Single(await Containers.RunningAsync(Instance, web, 1));
        var composed = await DockerCli.InspectAsync(app, "{{.Id}}");
        Assert.Equal("v1", await CatAsync(container.Id, "/www/index.html"));
        Assert.Equal("c1", await CatAsync(app, "/conf/app.conf"));
        var store = Path.Combine(Agent.StateDir, "git", ".binds", "platform") + "/";
        var source = (await DockerCli.InspectAsync(container.Id, "{{range .Mounts}}{{.Source}}{{end}}")).Trim();
        Assert.StartsWith(store, source);
        Assert.StartsWith(store, (await DockerCli.InspectAsync(app, "{{range .Mounts}}{{.Source}}{{end}}")).Trim());

        // Revisions that leave the bound folders as they were recreate nothing, and the first checkout is cleaned meanwhile.
        for (var i = 1; i <= 3; i++)
        {
            Repo.Write("apps/other.txt", $"{i}\n");
            await WaitAppliedAsync("platform", Repo.CommitAndPush($"unrelated {i}"));
        }
        Assert.False(Directory.Exists(Path.Combine(Agent.StateDir, "git", "platform", first)), "the first checkout is cleaned");
        Assert.Equal([container.Id], (await Containers.RunningAsync(Instance, web, 1)).Select(c => c.Id));
        Assert.Equal(composed, await DockerCli.InspectAsync(app, "{{.Id}}"));
        Assert.Equal("v1", await CatAsync(container.Id, "/www/index.html"));
        Assert.Equal("c1", await CatAsync(app, "/conf/app.conf"));

        // New content recreates the group with it; the old copy goes once no container uses it.
        Repo.Write("apps/www/index.html", "v2\n");
        await WaitAppliedAsync("platform", Repo.CommitAndPush("www v2"));
        await Eventually.TrueAsync(async () => await Containers.OfAsync(Instance, web) is [{ } now] && now.Id != container.Id
                                               && await CatAsync(now.Id, "/www/index.html") == "v2", TimeSpan.FromSeconds(60), "recreated with the new content");
        Assert.Equal(composed, await DockerCli.InspectAsync(app, "{{.Id}}"));
        Repo.Write("apps/other.txt", "4\n");
        await WaitAppliedAsync("platform", Repo.CommitAndPush("unrelated 4"));
        await Eventually.TrueAsync(() => Task.FromResult(!Directory.Exists(Path.GetDirectoryName(source))), TimeSpan.FromSeconds(60), "the unused copy is removed");

        // A bind that leaves the checkout (into the state dir) refuses the revision, named in the repository.
        Repo.Write("apps/web.yaml", Group(web, Sleeper("s", "      volumes: [\"../..:/state:ro\"]\n")));
        var escaping = Repo.CommitAndPush("escapes the checkout");
        var refused = await WaitRepoAsync("platform", s => s.LastFetchedRevision == $"main@sha1:{escaping}" && s.Condition("Stalled")?.Status == "True", "refused");
        Assert.Contains(refused.ManifestErrors, e => e.StartsWith("GitRepository/platform/apps/web.yaml:", StringComparison.Ordinal) && e.Contains("the bind source is outside the repository's checkout"));
        Assert.DoesNotContain(".staging-", string.Join("\n", refused.ManifestErrors) + refused.Condition("Ready")!.Message);

        // A symlink out of the repository (here and outside spec.path) is not checked out and blocks nothing; a bind of a
        // folder linked inside the repository runs (probe-13 F4, F5).
        File.CreateSymbolicLink(Path.Combine(Repo.Work, "apps", "host-etc"), "/etc");
        Directory.CreateDirectory(Path.Combine(Repo.Work, "docs"));
        File.CreateSymbolicLink(Path.Combine(Repo.Work, "docs", "shared"), "../../../../../usr/share/doc");
        File.CreateSymbolicLink(Path.Combine(Repo.Work, "apps", "inrepo"), "www");
        Repo.Write("apps/web.yaml", Group(web, Sleeper("s", "      volumes: [\"./inrepo:/www:ro\"]\n")));
        var linked = Repo.CommitAndPush("links out of the repository, and one inside it");
        await WaitAppliedAsync("platform", linked);
        await Eventually.TrueAsync(async () => await Containers.OfAsync(Instance, web) is [{ } now] && now.State == "running"
                                               && await CatAsync(now.Id, "/www/index.html") == "v2", TimeSpan.FromSeconds(60), "runs with the linked folder");
        Assert.False(Path.Exists(Path.Combine(Agent.StateDir, "git", "platform", "current", "apps", "host-etc")), "a link out is not checked out");

        // A bind that needs such a link is an error at its line, naming the repository path, never a staging folder.
        Repo.Write("apps/web.yaml", Group(web, Sleeper("s", "      volumes: [\"./host-etc:/x:ro\"]\n")));
        var needs = Repo.CommitAndPush("binds the link to /etc");
        var refusedLink = await WaitRepoAsync("platform", s => s.LastFetchedRevision == $"main@sha1:{needs}" && s.Condition("Stalled")?.Reason == "InvalidRevision", "link needed");
        var error = Assert.Single(refusedLink.ManifestErrors);
        Assert.StartsWith("GitRepository/platform/apps/web.yaml:", error);
        Assert.Contains("is a symbolic link that leaves the repository (apps/host-etc -> /etc)", error);
        Assert.DoesNotContain(Agent.StateDir, error + refusedLink.Condition("Ready")!.Message);
    }

    [Fact]
    public async Task Folders_of_the_same_content_and_missing_folders_are_each_bound_under_their_own_name_and_an_object_that_cannot_be_applied_is_not_Ready()
    {
        var (twinA, twinB, missingA, missingB) = (Instance.Name("git-twa"), Instance.Name("git-twb"), Instance.Name("git-misa"), Instance.Name("git-misb"));
        Repo.Write("apps/twins.yaml", Group(twinA, Sleeper("s", "      volumes: [\"./conf-a:/conf:ro\"]\n")) + "---\n" + Group(twinB, Sleeper("s", "      volumes: [\"./conf-b:/conf:ro\"]\n")))
            .Write("apps/conf-a/app.conf", "same\n").Write("apps/conf-b/app.conf", "same\n")
            .Write("apps/missing-a.yaml", Group(missingA, Sleeper("s", "      volumes: [\"./one/data:/data\"]\n")))
            .Write("apps/missing-b.yaml", Group(missingB, Sleeper("s", "      volumes: [\"./two/data:/data\"]\n")));
        var commit = Repo.CommitAndPush("twins");
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl, "  path: apps\n"));
        await Agent.StartAsync();
        await WaitAppliedAsync("platform", commit);
        // probe-13b B2: only the first name of one content was copied; the second group failed at create for ever.
        foreach (var group in new[] { twinA, twinB, missingA, missingB }) await Agent.WaitReadyAsync(group);
        foreach (var (group, folder) in new[] { (twinA, "conf-a"), (twinB, "conf-b") })
        {
            var container = Assert.Single(await Containers.RunningAsync(Instance, group, 1));
            Assert.Equal("same", await CatAsync(container.Id, "/conf/app.conf"));
            Assert.EndsWith("/" + folder, (await DockerCli.InspectAsync(container.Id, "{{range .Mounts}}{{.Source}}{{end}}")).Trim());
        }
        // Two missing (writable) folders of one name: each group has its own, what one writes the other does not see.
        var (a, b) = (Assert.Single(await Containers.RunningAsync(Instance, missingA, 1)), Assert.Single(await Containers.RunningAsync(Instance, missingB, 1)));
        await DockerCli.RunAsync("exec", a.Id, "sh", "-c", "echo mine > /data/a.txt");
        Assert.Equal("mine", await CatAsync(a.Id, "/data/a.txt"));
        Assert.Equal("", (await DockerCli.RunAsync("exec", b.Id, "ls", "-A", "/data")).Trim());

        // An object of the revision that cannot be applied (its image is not there): the repository is not Ready and names
        // it (probe-13b B2: it said "is applied" while a group failed for ever); fixed, it is Ready again.
        var broken = Instance.Name("git-noimg");
        Repo.Write("apps/broken.yaml", Group(broken, "    - name: s\n      image: agent-test/missing:1\n      imagePullPolicy: Never\n"));
        var failing = Repo.CommitAndPush("an image that is not there");
        await WaitAppliedAsync("platform", failing);
        var shown = await Eventually.ReturnsAsync(() => ApiAsync("/api/v1/gitrepositories/platform"),
            s => Condition(s, "Ready") is ("False", "ApplyFailed", _), TimeSpan.FromSeconds(60), "Ready False ApplyFailed");
        var message = Condition(shown, "Ready").Message;
        Assert.Contains($"ServiceGroup/{broken} (GitRepository/platform/apps/broken.yaml:", message);
        Assert.Contains("agent-test/missing:1", message);
        var (listedStatus, listedReason, _) = Condition((await ListedAsync("platform"))!.Value, "Ready"); // agent get all / describe
        Assert.Equal(("False", "ApplyFailed"), (listedStatus, listedReason));
        Repo.Delete("apps/broken.yaml");
        await WaitAppliedAsync("platform", Repo.CommitAndPush("image fixed"));
        await Eventually.ReturnsAsync(() => ApiAsync("/api/v1/gitrepositories/platform"), s => Condition(s, "Ready") is ("True", "Succeeded", _), TimeSpan.FromSeconds(60), "Ready again");
    }

    [Fact]
    public async Task Copies_removed_from_the_state_dir_are_made_again_before_a_start_or_a_create_that_binds_them()
    {
        var web = Instance.Name("git-rebind");
        var container = await StartBindingAsync(web, "\"./www:/www:ro\", \"./app.conf:/app.conf:ro\"", ("apps/www/index.html", "v1\n"), ("apps/app.conf", "c1\n"));
        var copies = Path.Combine(Agent.StateDir, "git", ".binds");

        // probe-13c C10: the copies gone (a cleaner, rm -rf), the engine refused every start until the agent restarted.
        Directory.Delete(copies, recursive: true);
        await DockerCli.RunAsync("kill", container.Id);
        try
        {
            await Eventually.TrueAsync(async () => (await DockerCli.InspectAsync(container.Id, "{{.State.Running}}")).Trim() == "true",
                TimeSpan.FromSeconds(60), "the same container started again");
        }
        catch (TimeoutException e)
        {
            // Seen twice in CI: the copies deleted before the check of the start's event, which read them as moved and removed
            // the container (BindRestartTests.A_bind_source_deleted...). Should it fail again, the agent's log says by whom and why.
            throw new TimeoutException($"{e.Message}\nagent log:\n{string.Join("\n", Agent.Logs.Lines.TakeLast(40))}", e);
        }
        Assert.Equal(("v1", "c1"), (await CatAsync(container.Id, "/www/index.html"), await CatAsync(container.Id, "/app.conf")));

        Directory.Delete(copies, recursive: true);
        await DockerCli.RunAsync("rm", "-f", container.Id);
        var created = await Eventually.ReturnsAsync(() => Containers.OfAsync(Instance, web), c => c is [{ State: "running" } one] && one.Id != container.Id,
            TimeSpan.FromSeconds(60), "a new container created");
        Assert.Equal(("v1", "c1"), (await CatAsync(created[0].Id, "/www/index.html"), await CatAsync(created[0].Id, "/app.conf")));
        await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(5), "was missing from the state dir: made again from the checkout");
    }

    [Fact]
    public async Task Copies_changed_in_the_state_dir_are_made_again_at_the_next_agent_start_and_before_a_start_that_binds_them()
    {
        var web = Instance.Name("git-repair");
        var container = await StartBindingAsync(web, "\"./www:/www:ro\", \"./app.conf:/app.conf:ro\", \"./data:/data\"",
            ("apps/www/index.html", "v1\n"), ("apps/app.conf", "c1\n"), ("apps/data/seed", "d1\n"));
        string Copy(string name) => Directory.EnumerateFileSystemEntries(Path.Combine(Agent.StateDir, "git", ".binds", "platform"), name, SearchOption.AllDirectories).Single();
        await DockerCli.RunAsync("exec", container.Id, "sh", "-c", "echo rows > /data/db");

        // probe-26 F3: changed while no agent ran, the copies stayed changed, under a running container, its group Ready.
        await Agent.StopAsync();
        File.Delete(Path.Combine(Copy("www"), "index.html"));
        File.WriteAllText(Path.Combine(Copy("www"), "b.txt"), "tampered\n");
        File.WriteAllText(Copy("app.conf"), "tampered\n");
        await Agent.StartAsync();
        await Eventually.TrueAsync(async () => await CatAsync(container.Id, "/www/index.html") == "v1" && await CatAsync(container.Id, "/app.conf") == "c1",
            TimeSpan.FromSeconds(60), "the running container sees its copies made again");
        Assert.Equal("", (await DockerCli.RunAsync("exec", container.Id, "sh", "-c", "ls /www | grep -v index.html; true")).Trim());
        Assert.Equal("rows", await CatAsync(container.Id, "/data/db")); // a writable bind: what the container wrote is its data
        await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(5), "was changed in the state dir: made again from the checkout");

        // Changed while the agent runs: made again before the container starts again.
        File.WriteAllText(Copy("app.conf"), "tampered again\n");
        await DockerCli.RunAsync("kill", container.Id);
        await Eventually.TrueAsync(async () => (await DockerCli.InspectAsync(container.Id, "{{.State.Running}}")).Trim() == "true",
            TimeSpan.FromSeconds(60), "the same container started again");
        Assert.Equal(("c1", "rows"), (await CatAsync(container.Id, "/app.conf"), await CatAsync(container.Id, "/data/db")));
        Assert.Equal([container.Id], (await Containers.RunningAsync(Instance, web, 1)).Select(c => c.Id));
    }

    [Fact]
    public async Task A_copy_a_container_wrote_into_is_kept_when_a_commit_changes_its_folder_and_the_repository_says_where()
    {
        // probe-26 F7 (HIGH): the old copy, with what the container wrote, was deleted; probe-27: kept, but only a log line said where.
        var web = Instance.Name("git-kept");
        var container = await StartBindingAsync(web, "\"./data:/data\"", ("apps/data/seed", "v1\n"));
        await DockerCli.RunAsync("exec", container.Id, "sh", "-c", "echo rows > /data/db");

        Repo.Write("apps/data/seed", "v2\n");
        await WaitAppliedAsync("platform", Repo.CommitAndPush("seed v2"));
        await Eventually.TrueAsync(async () => await Containers.OfAsync(Instance, web) is [{ } now] && now.Id != container.Id
                                               && await CatAsync(now.Id, "/data/seed") == "v2", TimeSpan.FromSeconds(60), "recreated on the new content");
        var kept = await Eventually.ReturnsAsync(() => Task.FromResult(Directory.Exists(Path.Combine(Agent.StateDir, "git", ".kept", "platform"))
                ? Directory.EnumerateFiles(Path.Combine(Agent.StateDir, "git", ".kept", "platform"), "db", SearchOption.AllDirectories).ToList() : []),
            k => k.Count == 1, TimeSpan.FromSeconds(60), "the written copy kept");
        Assert.Equal("rows\n", File.ReadAllText(kept[0]));
        var events = await Eventually.ReturnsAsync(async () => (await ApiAsync("/api/v1/gitrepositories/platform")).ToString(),
            s => s.Contains("WrittenCopyKept", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "a warning event on the repository");
        Assert.Contains($"kept at {Path.GetDirectoryName(Path.GetDirectoryName(kept[0]))}", events); // NAME/DIGEST, the copy in it
    }

    /// <summary>The agent started on a repository whose group <paramref name="web"/> binds <paramref name="volumes"/> (a YAML
    /// list's items) from the repository's <c>apps/</c> folder; its one running container.</summary>
    private async Task<Containers.Row> StartBindingAsync(string web, string volumes, params (string Path, string Content)[] files)
    {
        Repo.Write("apps/web.yaml", Group(web, Sleeper("s", $"      volumes: [{volumes}]\n")));
        foreach (var (path, content) in files) Repo.Write(path, content);
        var commit = Repo.CommitAndPush("binds");
        Agent.Write("platform.yaml", GitRepositoryManifest("platform", Repo.FileUrl, "  path: apps\n"));
        await Agent.StartAsync();
        await WaitAppliedAsync("platform", commit);
        await Agent.WaitReadyAsync(web);
        return Assert.Single(await Containers.RunningAsync(Instance, web, 1));
    }

    private static async Task<string> CatAsync(string container, string file) => (await DockerCli.RunAsync("exec", container, "cat", file)).Trim();
}
