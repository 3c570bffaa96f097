using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>The agent keeps the engine equal to the manifests: create, update only what changed, prune, and survive restarts.</summary>
public sealed class ConvergenceTests : AgentScenario
{
    [Fact]
    public async Task Editing_one_service_recreates_only_that_service()
    {
        var g = Instance.Name("edit");
        Agent.Write("g.yaml", Group(g, Sleeper("a") + Sleeper("b", "      replicas: 2\n")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var before = await Containers.RunningAsync(Instance, g, 3);

        Agent.Write("g.yaml", Group(g, Sleeper("a") + Sleeper("b", "      replicas: 2\n      env: { VERSION: \"2\" }\n")));
        var after = await Eventually.ReturnsAsync(() => Containers.OfAsync(Instance, g),
            rows => rows.Count == 3 && rows.All(r => r.State == "running") && rows.Where(r => r.Name.Contains("-b-")).All(r => before.All(b => b.Id != r.Id)),
            TimeSpan.FromSeconds(60), "b recreated");
        Assert.Equal(before.Single(r => r.Name == $"{g}-a-1").Id, after.Single(r => r.Name == $"{g}-a-1").Id);
        Assert.Equal("2", (await DockerCli.InspectAsync($"{g}-b-2", "{{range .Config.Env}}{{println .}}{{end}}")).Split('\n').Single(l => l.StartsWith("VERSION=")).Split('=')[1]);
        await Agent.WaitReadyAsync(g);
        AppliedEventsCountWhatTheyList(g);
    }

    /// <summary>"Applied N change(s): a; b; ..." lists N changes (five at most, then "..."): image checks and waits are
    /// steps, not changes, and are not listed beside the count (probe-22 F10).</summary>
    private void AppliedEventsCountWhatTheyList(string group)
    {
        var applied = Agent.Status.Get(new ObjectKey(ServiceGroup.KindName, group))!.Events.Where(e => e.Reason == "Applied").ToList();
        Assert.NotEmpty(applied);
        foreach (var e in applied)
        {
            var count = int.Parse(e.Message[..e.Message.IndexOf(' ')]);
            var items = e.Message[(e.Message.IndexOf(": ", StringComparison.Ordinal) + 2)..].Split("; ");
            Assert.Equal(Math.Min(count, 5) + (count > 5 ? 1 : 0), items.Length);
            Assert.DoesNotContain(items, i => i.Contains(" EnsureImage:") || i.Contains(" WaitHealthy:") || i.Contains(" WaitCompleted:"));
        }
    }

    [Fact]
    public async Task Scaling_touches_only_the_added_or_removed_replicas()
    {
        var g = Instance.Name("scale");
        Agent.Write("g.yaml", Group(g, Sleeper("s", "      replicas: 2\n")));
        await Agent.StartAsync();
        var two = await Containers.RunningAsync(Instance, g, 2);
        Agent.Write("g.yaml", Group(g, Sleeper("s", "      replicas: 3\n")));
        var three = await Containers.RunningAsync(Instance, g, 3);
        Assert.All(two, r => Assert.Contains(three, t => t.Id == r.Id));
        Agent.Write("g.yaml", Group(g, Sleeper("s", "      replicas: 1\n")));
        var one = await Containers.RunningAsync(Instance, g, 1);
        Assert.Equal(two.Single(r => r.Name.EndsWith("-1")).Id, one.Single().Id);
    }

    [Fact]
    public async Task Deleting_a_manifest_removes_its_containers_and_network_but_keeps_its_named_volume()
    {
        var g = Instance.Name("prune");
        Agent.Write("g.yaml", Group(g, Sleeper("db", "      volumes: [\"data:/data\"]\n")));
        await Agent.StartAsync();
        await Containers.RunningAsync(Instance, g, 1);
        await DockerCli.RunAsync("exec", $"{g}-db-1", "sh", "-c", "echo kept > /data/file");

        Agent.Delete("g.yaml");
        await Eventually.ReturnsAsync(() => Containers.OfAsync(Instance, g), rows => rows.Count == 0, TimeSpan.FromSeconds(60), "containers pruned");
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("network", "inspect", $"{g}_default")).Exit != 0, TimeSpan.FromSeconds(30), "network pruned");
        Assert.Equal($"{g}_data", await DockerCli.RunAsync("volume", "inspect", "--format", "{{.Name}}", $"{g}_data"));
        Assert.Equal("kept", await DockerCli.RunAsync("run", "--rm", "-v", $"{g}_data:/data", TestEngine.Image, "cat", "/data/file"));
    }

    [Fact]
    public async Task A_manifest_deleted_and_written_back_within_the_prune_delay_takes_nothing_down()
    {
        var g = Instance.Name("rmcp");
        var manifest = Group(g, Sleeper("db"));
        Agent.Write("g.yaml", manifest);
        await Agent.StartAsync();
        var before = (await Containers.RunningAsync(Instance, g, 1)).Single();
        var started = await DockerCli.InspectAsync(before.Id, "{{.State.StartedAt}}");

        Agent.Delete("g.yaml"); // an `rm` then `cp` deploy: gone for a moment, well under Agent:PruneDelay (5 s)
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Agent.Write("g.yaml", manifest);
        await Task.Delay(TimeSpan.FromSeconds(8)); // past the delay: a prune would have started by now

        Assert.Equal("running", await DockerCli.InspectAsync(before.Id, "{{.State.Status}}"));
        Assert.Equal(started, await DockerCli.InspectAsync(before.Id, "{{.State.StartedAt}}"));
        await Agent.WaitReadyAsync(g);
    }

    [Fact]
    public async Task A_deleted_manifest_stops_its_containers_gracefully_before_removing_them()
    {
        var g = Instance.Name("graceful");
        // The shell traps SIGTERM and leaves a mark in the volume; a forced removal (SIGKILL) would leave none.
        Agent.Write("g.yaml", Group(g, $"    - name: app\n      image: {TestEngine.Image}\n" +
            "      command: [\"sh\", \"-c\", \"trap 'echo graceful > /data/bye; exit 0' TERM; while true; do sleep 0.2; done\"]\n" +
            "      stopGracePeriod: 20s\n      volumes: [\"data:/data\"]\n"));
        await Agent.StartAsync();
        await Containers.RunningAsync(Instance, g, 1);

        Agent.Delete("g.yaml");
        await Eventually.ReturnsAsync(() => Containers.OfAsync(Instance, g), rows => rows.Count == 0, TimeSpan.FromSeconds(60), "containers pruned");
        Assert.Equal("graceful", await DockerCli.RunAsync("run", "--rm", "-v", $"{g}_data:/data", TestEngine.Image, "cat", "/data/bye"));
    }

    [Fact]
    public async Task Volumes_are_pruned_only_when_the_group_opted_in()
    {
        var g = Instance.Name("prunevol");
        Agent.Write("g.yaml", Group(g, Sleeper("db", "      volumes: [\"data:/data\"]\n"), "  pruneVolumes: true\n"));
        await Agent.StartAsync();
        await Containers.RunningAsync(Instance, g, 1);
        Agent.Delete("g.yaml");
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("volume", "inspect", $"{g}_data")).Exit != 0, TimeSpan.FromSeconds(60), "volume pruned");
    }

    [Fact]
    public async Task Restarting_the_agent_recreates_nothing()
    {
        var g = Instance.Name("restart");
        Agent.Write("g.yaml", Group(g, Sleeper("a") + Web("w", "      healthcheck: { test: [\"CMD\", \"wget\", \"-qO-\", \"http://127.0.0.1:8080/\"], interval: 1s }\n")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var before = await Containers.RunningAsync(Instance, g, 2);
        await Agent.StopAsync();
        var since = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var after = await Containers.OfAsync(Instance, g);
        Assert.Equal(before.Select(r => r.Id), after.Select(r => r.Id));
        var events = await DockerCli.RunAsync("events", "--since", since.ToString(), "--until", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(),
            "--filter", $"label={Instance.InstanceLabel}", "--filter", "type=container", "--format", "{{.Action}}");
        Assert.DoesNotContain(events.Split('\n'), a => a is "create" or "destroy" or "stop" or "kill");
    }

    [Fact]
    public async Task Containers_it_did_not_create_survive_every_prune()
    {
        var g = Instance.Name("foreign");
        var unlabelled = Instance.Name("unlabelled");
        var otherInstance = Instance.Name("other-instance");
        await DockerCli.RunAsync("run", "-d", "--name", unlabelled, TestEngine.Image, "sleep", "600");
        await DockerCli.RunAsync("run", "-d", "--name", otherInstance, "--label", $"{Instance.Labels.Managed}=true",
            "--label", $"{Instance.Labels.Instance}=someone-else", "--label", $"{Instance.Labels.Kind}=ServiceGroup",
            "--label", $"{Instance.Labels.Object}={g}", "--label", $"{Instance.Labels.Service}=a", "--label", $"{Instance.Labels.Replica}=1",
            TestEngine.Image, "sleep", "600");
        try
        {
            Agent.Write("g.yaml", Group(g, Sleeper("a")));
            await Agent.StartAsync();
            await Containers.RunningAsync(Instance, g, 1);
            Agent.Delete("g.yaml");
            await Eventually.ReturnsAsync(() => Containers.OfAsync(Instance, g), rows => rows.Count == 0, TimeSpan.FromSeconds(60), "pruned");
            Assert.Equal("running", await DockerCli.InspectAsync(unlabelled, "{{.State.Status}}"));
            Assert.Equal("running", await DockerCli.InspectAsync(otherInstance, "{{.State.Status}}"));
        }
        finally
        {
            await DockerCli.TryRunAsync("rm", "-f", unlabelled, otherInstance);
        }
    }

    [Fact]
    public async Task A_broken_manifest_changes_nothing_until_it_is_fixed()
    {
        var g = Instance.Name("broken");
        Agent.Write("g.yaml", Group(g, Sleeper("a")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var before = await Containers.RunningAsync(Instance, g, 1);

        Agent.Write("g.yaml", "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata: { name: " + g + " }\nspec:\n  services: [\n");
        var status = await Agent.WaitForConditionAsync(g, ConditionTypes.Degraded, "True", "InvalidManifest");
        Assert.Contains("invalid YAML", status.Condition(ConditionTypes.Degraded)!.Message);
        Agent.Write("g.yaml", Group(g, Sleeper("a", "      replicas: many\n")));
        status = await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(new("ServiceGroup", g))!),
            s => s.ManifestErrors.Any(e => e.Contains("spec.services[0].replicas")), TimeSpan.FromSeconds(30), "schema error reported");
        Assert.Equal("InvalidManifest", status.Condition(ConditionTypes.Degraded)!.Reason);
        Assert.Equal(before, await Containers.OfAsync(Instance, g));

        Agent.Write("g.yaml", Group(g, Sleeper("a", "      replicas: 2\n")));
        var after = await Containers.RunningAsync(Instance, g, 2);
        Assert.Contains(after, r => r.Id == before.Single().Id);
        await Agent.WaitReadyAsync(g);
    }

    [Fact]
    public async Task Editing_an_env_file_recreates_only_the_services_that_use_it()
    {
        var g = Instance.Name("envfile");
        Directory.CreateDirectory(Path.Combine(Agent.Manifests, "env"));
        File.WriteAllText(Path.Combine(Agent.Manifests, "env", "app.env"), "MODE=one\n");
        Agent.Write("g.yaml", Group(g, Sleeper("uses", "      envFrom: [env/app.env]\n") + Sleeper("other")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var before = await Containers.RunningAsync(Instance, g, 2);

        File.WriteAllText(Path.Combine(Agent.Manifests, "env", "app.env"), "MODE=two\n");
        var after = await Eventually.ReturnsAsync(() => Containers.OfAsync(Instance, g),
            rows => rows.Count == 2 && rows.All(r => r.State == "running") && rows.Single(r => r.Name.Contains("-uses-")).Id != before.Single(b => b.Name.Contains("-uses-")).Id,
            TimeSpan.FromSeconds(60), "uses recreated");
        Assert.Equal(before.Single(r => r.Name.Contains("-other-")).Id, after.Single(r => r.Name.Contains("-other-")).Id);
        Assert.Contains("MODE=two", await DockerCli.InspectAsync($"{g}-uses-1", "{{range .Config.Env}}{{println .}}{{end}}"));
    }
}
