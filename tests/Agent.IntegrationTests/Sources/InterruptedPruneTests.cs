using System.Net;
using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;
using Agent.Reconciliation;

namespace Agent.IntegrationTests.Sources;

/// <summary>
/// probe-15j M6: kill -9 of the real `agent run` while a confirmed mass prune stops the containers. The confirmation is
/// in the state dir before anything is removed, so the next agent finishes the prune (not holding it again with the
/// replicas it had stopped left down); the object that kept its manifest is not touched. Checked through the docker CLI.
/// </summary>
public sealed class InterruptedPruneTests() : AgentProcessScenario("prunekill")
{
    /// <summary>Two replicas of busybox sleep, which ignores SIGTERM: each stop of a prune takes the whole grace period.</summary>
    private static string SlowToStop(string group) => Manifest.Group(group,
        $"    - name: s\n      image: {TestEngine.Image}\n      command: [\"sleep\", \"3600\"]\n      replicas: 2\n      stopSignal: SIGTERM\n      stopGracePeriod: 6s\n");

    [Fact]
    public async Task A_confirmed_mass_prune_killed_half_way_is_finished_by_the_next_agent_and_nothing_else_is_touched()
    {
        var (a, b, c) = (Instance.Name("keep"), Instance.Name("gone-b"), Instance.Name("gone-c"));
        File.WriteAllText(Path.Combine(Manifests, "a.yaml"), SlowToStop(a));
        File.WriteAllText(Path.Combine(Manifests, "bc.yaml"), SlowToStop(b) + "---\n" + SlowToStop(c)); // one deletion drops both
        var agent = StartAgent();
        var kept = await Containers.RunningAsync(Instance, a, 2, Within);
        await Containers.RunningAsync(Instance, b, 2, Within);
        await Containers.RunningAsync(Instance, c, 2, Within);

        File.Delete(Path.Combine(Manifests, "bc.yaml"));
        int seen;
        using (var admin = agent.Client())
        {
            await Eventually.TrueAsync(async () => JsonDocument.Parse(await admin.GetStringAsync("/api/v1/prune")).RootElement.GetProperty("blocked").GetBoolean(),
                Within, "the mass-prune guard holds b and c");
            seen = agent.Lines.Count;
            var confirm = await admin.PostAsync("/api/v1/prune/confirm", null);
            Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        }
        // Durable before anything is removed.
        var confirmed = File.ReadAllText(Path.Combine(StateDir, PruneHolds.ConfirmedFileName));
        Assert.Contains($"ServiceGroup/{b}", confirmed);
        Assert.Contains($"ServiceGroup/{c}", confirmed);

        // The prune's own plan (the first apply's lines are older): then its stops are under way, 6 s of grace each.
        await Eventually.TrueAsync(() => Task.FromResult(agent.Lines.Skip(seen).Any(l => l.Contains("Agent.Reconciliation.Reconciler", StringComparison.Ordinal)
            && (l.Contains($"ServiceGroup/{b}: applying", StringComparison.Ordinal) || l.Contains($"ServiceGroup/{c}: applying", StringComparison.Ordinal)))),
            Within, "the agent applies the confirmed prune");
        using (var admin = agent.Client()) // probe-27: confirmed and under way, it still read PruneBlocked ("nothing is removed until an admin confirms")
            await Eventually.TrueAsync(async () => JsonDocument.Parse(await admin.GetStringAsync($"/api/v1/servicegroups/{b}")).RootElement.GetProperty("conditions")
                    .EnumerateArray().ToList() is var conditions
                && !conditions.Any(c => c.GetProperty("type").GetString() == "PruneBlocked")
                && conditions.Any(c => c.GetProperty("type").GetString() == "Ready" && c.GetProperty("reason").GetString() == "Pruning"),
                TimeSpan.FromSeconds(10), "b reads Pruning, no longer PruneBlocked");
        await Task.Delay(TimeSpan.FromSeconds(1));
        await EndAgentAsync(); // kill -9
        // The engine finishes the stops it was asked for; nothing removes those containers now (some may not have been
        // asked to stop yet and still run).
        await Eventually.ReturnsAsync(async () => (await Containers.OfAsync(Instance, b)).Concat(await Containers.OfAsync(Instance, c)).ToList(),
            rows => rows.Any(r => r.State == "exited"), Within, "a replica the interrupted prune stopped, not removed");

        agent = StartAgent();
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, b)).Count == 0 && (await Containers.OfAsync(Instance, c)).Count == 0,
            Within, () => $"the next agent finishes the confirmed prune of b and c; output:\n{agent.Output(30)}");
        Assert.Equal(kept, await Containers.OfAsync(Instance, a)); // the same two containers, running
        using var client = agent.Client();
        var prune = JsonDocument.Parse(await client.GetStringAsync("/api/v1/prune")).RootElement;
        Assert.False(prune.GetProperty("blocked").GetBoolean(), prune.ToString());
        Assert.Contains(agent.Lines, l => l.Contains("Mass prune confirmed before the agent stopped", StringComparison.Ordinal));
    }

    /// <summary>A compose project of one busybox sleep (Compose's default restart: no, as in probe-26), whose stop takes
    /// its whole grace period (sleep ignores SIGTERM), running; then its compose file deleted, until the agent's prune has
    /// asked the engine to stop it. Returns the agent, the container's id, and how to put the compose file back.</summary>
    private async Task<(AgentProcess Agent, string Container, Action PutBack)> PruneUnderWayAsync(string project, string grace)
    {
        Directory.CreateDirectory(Path.Combine(Manifests, project));
        var file = Path.Combine(Manifests, project, "compose.yaml");
        var manifest = $"services:\n  s:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n    stop_grace_period: {grace}\n";
        File.WriteAllText(file, manifest);
        var agent = StartAgent();
        var running = Assert.Single(await Containers.RunningAsync(Instance, project, 1, Within));
        var seen = agent.Lines.Count;
        File.Delete(file);
        await Eventually.TrueAsync(() => Task.FromResult(agent.Lines.Skip(seen).Any(l => l.Contains($"ComposeProject/{project}: applying", StringComparison.Ordinal))),
            Within, "the agent applies the prune");
        await Task.Delay(TimeSpan.FromSeconds(2)); // its stop is under way
        return (agent, running.Id, () => File.WriteAllText(file, manifest));
    }

    [Fact]
    public async Task A_prune_stop_that_lands_after_a_kill_9_and_a_quick_restart_is_the_agents_own_and_the_container_runs_again()
    {
        // probe-26 F5 (HIGH): the prune's stop, asked for just before kill -9, landed after the next agent had started
        // (a systemd Restart=always agent is back in a second): that agent took it for a user's docker stop, and the
        // object, its manifest back, stayed down for good.
        var (_, container, putBack) = await PruneUnderWayAsync(Instance.Name("landlate"), "40s");
        var startedAt = await DockerCli.InspectAsync(container, "{{.State.StartedAt}}");
        await EndAgentAsync(); // kill -9
        putBack();
        var agent = StartAgent(); // back well within the stop's grace period
        await agent.WaitReadyAsync(Within);
        Assert.Equal("true", await DockerCli.InspectAsync(container, "{{.State.Running}}")); // the stop has not landed yet

        // The engine ends the stop (SIGKILL after the grace); the same container runs again, not held as a user's stop.
        await Eventually.TrueAsync(async () => await DockerCli.InspectAsync(container, "{{.State.Running}} {{.State.StartedAt}}") is var state
                && state.StartsWith("true ", StringComparison.Ordinal) && !state.EndsWith(startedAt, StringComparison.Ordinal),
            Within, () => $"the container started again after the prune's stop landed; output:\n{agent.Output(30)}");
        Assert.DoesNotContain("engine", File.ReadAllText(Path.Combine(StateDir, "user-stops.json")));
    }

    [Fact]
    public async Task A_graceful_stop_of_the_agent_during_a_prune_waits_for_the_stops_it_asked_for_so_the_next_agent_sees_them_done()
    {
        // probe-26 F5 (systemctl restart): the agent exited in 3 s with the prune's stops still under way in the engine;
        // the next agent saw db running and healthy and ran migrate against it a second before the engine killed it.
        var (agent, container, putBack) = await PruneUnderWayAsync(Instance.Name("termprune"), "12s");
        await agent.TerminateAsync(TimeSpan.FromSeconds(60));
        var stateAfterExit = await DockerCli.InspectAsync(container, "{{.State.Running}}");
        Assert.True(stateAfterExit == "false", $"the agent exited with the stop it asked for still under way; output:\n{agent.Output(20)}");

        putBack();
        agent = StartAgent();
        await Eventually.TrueAsync(async () => await DockerCli.InspectAsync(container, "{{.State.Running}}") == "true",
            Within, () => $"the same container started again; output:\n{agent.Output(30)}");
    }

    [Fact]
    public async Task A_dependency_whose_prune_stop_is_still_under_way_after_a_kill_9_is_not_started_on_until_it_has_run_again()
    {
        // probe-27 F1.1 (HIGH): kill -9 while the prune stopped db (long grace), the compose file back, a quick restart:
        // the next agent took db for running and healthy, ran migrate and started app; then the old stop landed under them.
        var project = Instance.Name("inflight");
        Directory.CreateDirectory(Path.Combine(Manifests, project));
        var file = Path.Combine(Manifests, project, "compose.yaml");
        var manifest = "services:\n"
            + $"  db:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n    stop_grace_period: 20s\n"
            + "    healthcheck: { test: [\"CMD\", \"true\"], interval: 1s, retries: 3 }\n"
            + $"  migrate:\n    image: {TestEngine.Image}\n    command: [\"true\"]\n    restart: \"no\"\n    depends_on:\n      db: {{ condition: service_healthy }}\n"
            + $"  app:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n    depends_on:\n      migrate: {{ condition: service_completed_successfully }}\n";
        File.WriteAllText(file, manifest);
        var (db, migrate, app) = ($"{project}-db-1", $"{project}-migrate-1", $"{project}-app-1");
        var agent = StartAgent();
        await Eventually.ReturnsAsync(() => Containers.OfAsync(Instance, project), rows => rows.Count(r => r.State == "running") == 2,
            Within, () => $"db and app run (migrate completed); output:\n{agent.Output(60)}");
        var dbId = await DockerCli.InspectAsync(db, "{{.Id}}");
        var dbStarted = await DockerCli.InspectAsync(db, "{{.State.StartedAt}}");

        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        File.Delete(file);
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("inspect", app)).Exit != 0, Within, () => $"the prune removed app; output:\n{agent.Output(20)}");
        await StopUnderWayAsync(dbId, since, agent);
        await EndAgentAsync(); // kill -9, db's stop under way for several seconds more
        File.WriteAllText(file, manifest);
        agent = StartAgent();
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("inspect", "-f", "{{.State.Running}}", app)).Stdout.Trim() == "true",
            TimeSpan.FromSeconds(120), () => $"app runs again; output:\n{agent.Output(30)}");
        Assert.Equal(dbId, await DockerCli.InspectAsync(db, "{{.Id}}")); // the same db, started again once its stop landed
        Assert.Equal("true", await DockerCli.InspectAsync(db, "{{.State.Running}}"));
        Assert.NotEqual(dbStarted, await DockerCli.InspectAsync(db, "{{.State.StartedAt}}")); // its stop landed, then it ran again
        await StartOrder.AssertStartedAfterAsync(migrate, db);
        await StartOrder.AssertStartedAfterEndOfAsync(app, migrate);
        Assert.True(agent.Lines.Any(l => l.Contains($"{db} is being stopped by an earlier run of the agent", StringComparison.Ordinal)), agent.Output(60));
    }

    [Fact]
    public async Task Removals_made_while_a_confirmed_prune_runs_are_judged_against_what_stays()
    {
        // probe-27 F3.0 (HIGH): while a confirmed prune of most objects ran, the rest were moved away too: judged against
        // all managed objects (the confirmed ones included) they were under the guard's share and were pruned as well.
        var names = Enumerable.Range(1, 5).Select(i => Instance.Name($"stay{i}")).ToList();
        foreach (var name in names) File.WriteAllText(Path.Combine(Manifests, $"{name}.yaml"), SlowToStop(name));
        var agent = StartAgent();
        foreach (var name in names) await Containers.RunningAsync(Instance, name, 2, Within);

        foreach (var name in names.Take(3)) File.Delete(Path.Combine(Manifests, $"{name}.yaml"));
        using var admin = agent.Client();
        await Eventually.TrueAsync(async () => JsonDocument.Parse(await admin.GetStringAsync("/api/v1/prune")).RootElement.GetProperty("objects").GetArrayLength() == 3,
            Within, "the guard holds the three");
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/v1/prune/confirm", null)).StatusCode);
        var kept = new Dictionary<string, IReadOnlyList<Containers.Row>>();
        foreach (var name in names.Skip(3))
        {
            kept[name] = await Containers.OfAsync(Instance, name);
            File.Delete(Path.Combine(Manifests, $"{name}.yaml")); // the confirmed prune's 6 s stops under way
        }
        await Eventually.TrueAsync(async () => JsonDocument.Parse(await admin.GetStringAsync("/api/v1/prune")).RootElement is var hold
                && hold.GetProperty("blocked").GetBoolean() && hold.GetProperty("objects").GetArrayLength() == 2,
            Within, () => $"the two later removals held; output:\n{agent.Output(30)}");
        await Eventually.TrueAsync(async () =>
        {
            foreach (var name in names.Take(3))
                if ((await Containers.OfAsync(Instance, name)).Count > 0) return false;
            return true;
        }, Within, "the confirmed three pruned");
        foreach (var name in names.Skip(3)) Assert.Equal(kept[name], await Containers.OfAsync(Instance, name)); // the same containers, running
    }

    [Fact]
    public async Task A_group_whose_prune_stop_is_still_under_way_after_a_kill_9_is_not_ready_for_the_groups_that_depend_on_it()
    {
        // probe-28 F1 (HIGH): the same with ServiceGroups (sapp dependsOn sdb): sdb read Ready with its db dying, and sapp
        // was made on it a second after the restart, then left running across db's restart.
        var (sdb, sapp) = (Instance.Name("sdb"), Instance.Name("sapp"));
        var file = Path.Combine(Manifests, "groups.yaml");
        var manifest = Manifest.Group(sdb, $"    - name: db\n      image: {TestEngine.Image}\n      command: [\"sleep\", \"3600\"]\n      stopSignal: SIGTERM\n      stopGracePeriod: 20s\n")
            + "---\n" + Manifest.Group(sapp, Manifest.Sleeper("app"), $"  dependsOn: [{sdb}]\n");
        File.WriteAllText(file, manifest);
        var unguarded = new Dictionary<string, string> { ["AGENT_Agent__AllowMassPrune"] = "true" }; // both objects go: past the guard
        var agent = StartAgent(unguarded);
        var db = Assert.Single(await Containers.RunningAsync(Instance, sdb, 1, Within));
        await Containers.RunningAsync(Instance, sapp, 1, Within);
        var dbStarted = await DockerCli.InspectAsync(db.Id, "{{.State.StartedAt}}");

        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        File.Delete(file);
        await StopUnderWayAsync(db.Id, since, agent);
        // sapp's own prune runs beside sdb's: under load it can still be to come, and then its container (never removed)
        // rightly runs on after the restart, which is not what this test is about.
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, sapp)).Count == 0,
            TimeSpan.FromSeconds(15), () => $"the prune removed sapp; output:\n{agent.Output(20)}");
        await EndAgentAsync(); // kill -9, db's stop under way for several seconds more
        File.WriteAllText(file, manifest);
        agent = StartAgent(unguarded);
        var app = await Eventually.ReturnsAsync(async () => await Containers.OfAsync(Instance, sapp), rows => rows is [{ State: "running" }],
            TimeSpan.FromSeconds(120), () => $"sapp runs again; output:\n{agent.Output(30)}");
        Assert.NotEqual(dbStarted, await DockerCli.InspectAsync(db.Id, "{{.State.StartedAt}}")); // its stop landed, then it ran again
        await StartOrder.AssertStartedAfterAsync(app[0].Id, db.Id);
    }

    [Fact]
    public async Task A_prune_undone_while_its_stop_runs_holds_the_dependent_groups_until_the_dependency_runs_again()
    {
        // probe-30 F18 (HIGH), no agent restart: sdb's manifest moved away (its prune stops db, 20 s of grace) and back, and
        // sapp's replica removed: sapp was made on the dying db at once, and both read Ready meanwhile.
        var (sdb, sapp) = (Instance.Name("sdb"), Instance.Name("sapp"));
        var dbFile = Path.Combine(Manifests, "sdb.yaml");
        var dbManifest = Manifest.Group(sdb, $"    - name: db\n      image: {TestEngine.Image}\n      command: [\"sleep\", \"3600\"]\n      stopSignal: SIGTERM\n      stopGracePeriod: 20s\n");
        File.WriteAllText(dbFile, dbManifest);
        File.WriteAllText(Path.Combine(Manifests, "sapp.yaml"), Manifest.Group(sapp, Manifest.Sleeper("app"), $"  dependsOn: [{sdb}]\n"));
        var agent = StartAgent(new Dictionary<string, string> { ["AGENT_Agent__AllowMassPrune"] = "true", ["AGENT_Agent__PruneDelay"] = "00:00:05" });
        var db = Assert.Single(await Containers.RunningAsync(Instance, sdb, 1, Within));
        await Containers.RunningAsync(Instance, sapp, 1, Within);
        var dbStarted = await DockerCli.InspectAsync(db.Id, "{{.State.StartedAt}}");

        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        File.Delete(dbFile);
        await StopUnderWayAsync(db.Id, since, agent);
        File.WriteAllText(dbFile, dbManifest);
        await DockerCli.RunAsync("rm", "-f", $"{sapp}-app-1");
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Equal("true", await DockerCli.InspectAsync(db.Id, "{{.State.Running}}")); // still in its grace
        Assert.Empty(await Containers.OfAsync(Instance, sapp)); // not made on the dying db

        var app = await Eventually.ReturnsAsync(async () => await Containers.OfAsync(Instance, sapp), rows => rows is [{ State: "running" }],
            TimeSpan.FromSeconds(120), () => $"sapp runs again; output:\n{agent.Output(30)}");
        Assert.NotEqual(dbStarted, await DockerCli.InspectAsync(db.Id, "{{.State.StartedAt}}")); // its stop landed, then it ran again
        await StartOrder.AssertStartedAfterAsync(app[0].Id, db.Id);
    }

    [Fact]
    public async Task A_held_mass_prune_stays_held_across_a_git_repository_that_never_fetches_added_and_removed()
    {
        // probe-30 F6 (HIGH): while a GitRepository had no checkout every removal was "kept": that read of 0 removals ended
        // the hold, and once the repository's manifest went the held groups were pruned, never confirmed.
        var names = Enumerable.Range(1, 3).Select(i => Instance.Name($"held{i}")).ToList();
        foreach (var name in names) File.WriteAllText(Path.Combine(Manifests, $"{name}.yaml"), Manifest.Group(name, Manifest.Sleeper("s")));
        var agent = StartAgent();
        var kept = new Dictionary<string, IReadOnlyList<Containers.Row>>();
        foreach (var name in names) kept[name] = await Containers.RunningAsync(Instance, name, 1, Within);

        foreach (var name in names.Skip(1)) File.Delete(Path.Combine(Manifests, $"{name}.yaml")); // 2 of 3: held
        using var admin = agent.Client();
        await Eventually.TrueAsync(async () => JsonDocument.Parse(await admin.GetStringAsync("/api/v1/prune")).RootElement.GetProperty("objects").GetArrayLength() == 2,
            Within, () => $"the guard holds two; output:\n{agent.Output(20)}");
        var bogus = Path.Combine(Manifests, "bogus-repo.yaml");
        File.WriteAllText(bogus, "apiVersion: agent/v1\nkind: GitRepository\nmetadata:\n  name: bogus\nspec:\n  url: file:///nonexistent/bogus.git\n  interval: 1s\n");
        await Task.Delay(TimeSpan.FromSeconds(8)); // reads while the repository has no checkout
        Assert.True(JsonDocument.Parse(await admin.GetStringAsync("/api/v1/prune")).RootElement.GetProperty("blocked").GetBoolean(), agent.Output(30));
        File.Delete(bogus);
        await Task.Delay(TimeSpan.FromSeconds(10)); // a prune delay and resyncs
        var hold = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/prune")).RootElement;
        Assert.True(hold.GetProperty("blocked").GetBoolean(), hold.ToString());
        Assert.Equal(2, hold.GetProperty("objects").GetArrayLength());
        foreach (var (name, rows) in kept) Assert.Equal(rows, await Containers.OfAsync(Instance, name)); // the same containers, running
    }

    [Fact]
    public async Task A_removal_made_while_an_earlier_prune_runs_holds_only_what_is_kept_and_says_so_at_once()
    {
        // probe-28 F8: two of seven pruned within a 30% guard; while their stops ran two more files went. 4 of 7 was held,
        // listing the two being removed as kept (they went anyway). F2: the held objects read Ready, no PruneBlocked, until
        // a worker was free for them (the workers were busy with the stops).
        var names = Enumerable.Range(1, 7).Select(i => Instance.Name($"under{i}")).ToList();
        foreach (var name in names.Take(2))
            File.WriteAllText(Path.Combine(Manifests, $"{name}.yaml"), Manifest.Group(name,
                $"    - name: s\n      image: {TestEngine.Image}\n      command: [\"sleep\", \"3600\"]\n      stopSignal: SIGTERM\n      stopGracePeriod: 20s\n"));
        foreach (var name in names.Skip(2)) File.WriteAllText(Path.Combine(Manifests, $"{name}.yaml"), Manifest.Group(name, Manifest.Sleeper("s")));
        var agent = StartAgent(new Dictionary<string, string> { ["AGENT_Agent__PruneGuard"] = "30%", ["AGENT_Agent__Workers"] = "2" });
        foreach (var name in names) await Containers.RunningAsync(Instance, name, 1, Within);

        var seen = agent.Lines.Count;
        foreach (var name in names.Take(2)) File.Delete(Path.Combine(Manifests, $"{name}.yaml")); // 2 of 7: pruned
        await Eventually.TrueAsync(() => Task.FromResult(names.Take(2).All(n => agent.Lines.Skip(seen).Any(l => l.Contains($"ServiceGroup/{n}: applying", StringComparison.Ordinal)))),
            Within, () => $"both prunes under way, each 20 s of grace, both workers busy; output:\n{agent.Output(20)}");
        var kept = new Dictionary<string, IReadOnlyList<Containers.Row>>();
        foreach (var name in names.Skip(2).Take(2)) kept[name] = await Containers.OfAsync(Instance, name);
        foreach (var name in names.Skip(2).Take(2)) File.Delete(Path.Combine(Manifests, $"{name}.yaml"));

        using var admin = agent.Client();
        var expected = names.Skip(2).Take(2).Select(n => $"ServiceGroup/{n}").Order(StringComparer.Ordinal).ToList();
        // Held and shown so within seconds, long before a worker is free (the stops take 20 s).
        await Eventually.TrueAsync(async () =>
        {
            var hold = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/prune")).RootElement;
            var listed = hold.GetProperty("objects").EnumerateArray().Select(o => o.GetString()!).Order(StringComparer.Ordinal).ToList();
            if (!hold.GetProperty("blocked").GetBoolean()) return false;
            Assert.Equal(expected, listed); // never the two whose removal is under way
            foreach (var name in names.Skip(2).Take(2))
            {
                var conditions = JsonDocument.Parse(await admin.GetStringAsync($"/api/v1/servicegroups/{name}")).RootElement.GetProperty("conditions").EnumerateArray().ToList();
                if (!conditions.Any(c => c.GetProperty("type").GetString() == "PruneBlocked" && c.GetProperty("status").GetString() == "True")) return false;
                if (!conditions.Any(c => c.GetProperty("type").GetString() == "Degraded" && c.GetProperty("status").GetString() == "True"
                                         && c.GetProperty("reason").GetString() == "PruneBlocked")) return false;
            }
            return true;
        }, TimeSpan.FromSeconds(12), () => $"the two later removals held and shown as held at once; output:\n{agent.Output(30)}");

        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, names[0])).Count == 0 && (await Containers.OfAsync(Instance, names[1])).Count == 0,
            Within, "the first two pruned");
        foreach (var (name, rows) in kept) Assert.Equal(rows, await Containers.OfAsync(Instance, name)); // the same containers, running
        var after = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/prune")).RootElement;
        Assert.Equal(expected, after.GetProperty("objects").EnumerateArray().Select(o => o.GetString()!).Order(StringComparer.Ordinal).ToList());
    }
}
