using System.Formats.Tar;
using System.Text;
using Agent.Core.Model;
using Agent.Engine;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Engine;

public sealed class EngineAdapterTests : IAsyncLifetime
{
    private readonly TestInstance instance = new();
    private IContainerEngine Engine => instance.Engine;
    private static CancellationToken Ct => CancellationToken.None;

    public Task InitializeAsync() => instance.InitializeAsync();
    public Task DisposeAsync() => instance.DisposeAsync();

    private async Task<string> CreateAsync(string name, string[] command, ContainerSpec? spec = null)
    {
        var labels = instance.Labels.ForReplica(new ObjectKey("Test", "adapter"), "svc", 0, "h");
        return await Engine.CreateContainerAsync(new ContainerCreateRequest(
            instance.Name(name),
            (spec ?? new ContainerSpec { Image = TestEngine.Image }) with { Command = command, StopSignal = "SIGKILL" },
            labels), Ct);
    }

    [Fact]
    public async Task An_image_reference_that_walks_the_engine_path_never_reaches_another_object()
    {
        // A container that is not an image: before, "../../containers/NAME" was sent as /images/../../containers/NAME/json.
        var name = instance.Name("walked");
        await DockerCli.RunAsync("create", "--name", name, "--label", instance.InstanceLabel, TestEngine.Image, "true");
        foreach (var reference in new[] { $"../../containers/{name}", "../../containers", $"x/../../../containers/{name}" })
        {
            var refused = await Assert.ThrowsAsync<EngineException>(() => Engine.InspectImageAsync(reference, Ct));
            Assert.Equal(400, refused.StatusCode);
            Assert.Contains("is not an image reference", refused.Message);
        }
        Assert.NotNull(await Engine.InspectImageAsync(TestEngine.Image, Ct));
    }

    [Fact]
    public async Task Concurrent_disk_usage_calls_share_the_engines_one_computation_and_all_answer()
    {
        // The engine refuses a second /system/df while one runs (500 "a disk usage operation is already running", probe-15i M5).
        var volume = instance.Name("df");
        await DockerCli.RunAsync("volume", "create", "--label", instance.InstanceLabel, volume);
        var usages = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Task.Run(() => Engine.GetDiskUsageAsync(Ct))));
        Assert.All(usages, u => Assert.Contains(u.Volumes, v => v.Name == volume));
    }

    [Fact]
    public async Task Created_container_runs_execs_logs_stops_and_is_removed()
    {
        var id = await CreateAsync("life", ["sh", "-c", "echo hello-out; echo hello-err >&2; exec sleep 600"],
            new ContainerSpec
            {
                Image = TestEngine.Image,
                Env = new Dictionary<string, string> { ["GREETING"] = "hi" },
                Resources = new ResourceLimits(64 * 1024 * 1024, null, 50),
            });
        Assert.Equal("created", await DockerCli.InspectAsync(id, "{{.State.Status}}"));
        Assert.Equal("67108864", await DockerCli.InspectAsync(id, "{{.HostConfig.Memory}}"));
        Assert.Equal("true", await DockerCli.InspectAsync(id, $"{{{{index .Config.Labels \"{instance.Labels.Managed}\"}}}}"));

        await Engine.StartContainerAsync(id, Ct);
        await Engine.StartContainerAsync(id, Ct); // idempotent
        Assert.Equal("running", await DockerCli.InspectAsync(id, "{{.State.Status}}"));

        var exec = await Engine.ExecAsync(id, new ExecRequest(["sh", "-c", "echo $GREETING-$EXTRA; echo oops >&2; exit 3"],
            new Dictionary<string, string> { ["EXTRA"] = "x" }), Ct);
        Assert.Equal(3, exec.ExitCode);
        Assert.Equal("hi-x\n", exec.Stdout);
        Assert.Equal("oops\n", exec.Stderr);

        var logs = await Eventually.ReturnsAsync(
            async () => await Engine.GetLogsAsync(id, new LogOptions(), Ct).ToListAsync(),
            l => l.Count >= 2, TimeSpan.FromSeconds(60), "both log lines");
        Assert.Contains(new LogEntry(LogStream.Stdout, "hello-out"), logs);
        Assert.Contains(new LogEntry(LogStream.Stderr, "hello-err"), logs);

        var stats = await Engine.GetStatsAsync(id, Ct);
        Assert.True(stats.MemoryUsageBytes > 0);
        Assert.True(stats.Pids >= 1);

        var details = await Engine.InspectContainerAsync(id, Ct);
        Assert.Equal(ContainerState.Running, details!.State);
        Assert.Contains("GREETING=hi", details.Env);

        await Engine.StopContainerAsync(id, TimeSpan.FromSeconds(1), Ct);
        Assert.Equal("exited", await DockerCli.InspectAsync(id, "{{.State.Status}}"));

        await Engine.RemoveContainerAsync(id, force: false, Ct);
        await Engine.RemoveContainerAsync(id, force: false, Ct); // already gone is success
        Assert.Empty(await DockerCli.ContainerIdsAsync(instance.InstanceLabel));
        Assert.Null(await Engine.InspectContainerAsync(id, Ct));
    }

    [Fact]
    public async Task Listing_by_label_sees_only_this_instance()
    {
        var mine = await CreateAsync("mine", ["sleep", "600"]);
        var foreignName = instance.Name("foreign");
        var foreign = await DockerCli.RunAsync("create", "--name", foreignName, "--label", $"{instance.Labels.Managed}=true",
            "--label", $"{instance.Labels.Instance}=someone-else", TestEngine.Image, "sleep", "600");
        try
        {
            var listed = await Engine.ListContainersAsync(LabelSelector.ForInstance(instance.Labels), Ct);
            var only = Assert.Single(listed);
            Assert.Equal(mine, only.Id);
            Assert.Equal(instance.Name("mine"), only.Name);
            Assert.Equal(ContainerState.Created, only.State);
            Assert.True(instance.Labels.IsOwned(only.Labels));
        }
        finally
        {
            await DockerCli.RunAsync("rm", "-f", foreign);
        }
    }

    [Fact]
    public async Task Looking_up_by_id_answers_exactly_the_ids_asked_running_or_not_and_leaves_out_the_gone()
    {
        var running = await CreateAsync("byid-running", ["sleep", "600"]);
        var created = await CreateAsync("byid-created", ["sleep", "600"]);
        var notAsked = await CreateAsync("byid-other", ["sleep", "600"]);
        var removed = await CreateAsync("byid-removed", ["sleep", "600"]);
        await DockerCli.RunAsync("start", running);
        await DockerCli.RunAsync("rm", "-f", removed);

        var found = await Engine.ListContainersByIdAsync([running, created, removed, notAsked[..12]], Ct);

        Assert.Equal([(created, ContainerState.Created), (running, ContainerState.Running)],
            found.Select(c => (c.Id, c.State)).OrderBy(c => c.State).ToList());
        Assert.Equal(("running", "created"), (await DockerCli.InspectAsync(running, "{{.State.Status}}"), await DockerCli.InspectAsync(created, "{{.State.Status}}")));
        Assert.All(found, c => Assert.True(instance.Labels.IsOwned(c.Labels)));
        Assert.Empty(await Engine.ListContainersByIdAsync([], Ct));
    }

    [Fact]
    public async Task Events_stream_reports_start_and_die_in_order()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var events = new List<EngineEvent>();
        var subscribed = Engine.StreamEventsAsync(LabelSelector.ForInstance(instance.Labels), cts.Token).GetAsyncEnumerator(cts.Token);
        var next = subscribed.MoveNextAsync().AsTask();
        await Task.Delay(300); // let the subscription reach the engine before acting
        var id = await CreateAsync("events", ["sh", "-c", "exit 7"]);
        await Engine.StartContainerAsync(id, Ct);
        while (await next)
        {
            events.Add(subscribed.Current);
            if (subscribed.Current.Action == "die") break;
            next = subscribed.MoveNextAsync().AsTask();
        }
        await cts.CancelAsync();
        var actions = events.Where(e => e.ActorId == id).Select(e => e.Action).ToList();
        Assert.Equal(["create", "start", "die"], actions.Where(a => a is "create" or "start" or "die"));
        Assert.Equal("7", events.Last().Attributes["exitCode"]);
    }

    [Fact]
    public async Task Followed_logs_stream_until_cancelled()
    {
        var id = await CreateAsync("follow", ["sh", "-c", "i=0; while true; do echo line$i; i=$((i+1)); sleep 0.1; done"]);
        await Engine.StartContainerAsync(id, Ct);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var lines = new List<string>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var entry in Engine.GetLogsAsync(id, new LogOptions(Follow: true), cts.Token))
            {
                lines.Add(entry.Text);
                if (lines.Count == 5) await cts.CancelAsync();
            }
        });
        Assert.Equal(["line0", "line1", "line2", "line3", "line4"], lines.Take(5));
    }

    [Fact]
    public async Task Networks_and_volumes_are_created_listed_and_removed_by_label()
    {
        var labels = instance.Labels.ForInstance();
        var network = instance.Name("net");
        var volume = instance.Name("vol");
        await Engine.CreateNetworkAsync(network, labels, Ct);
        await Engine.CreateVolumeAsync(volume, "local", new Dictionary<string, string> { ["type"] = "tmpfs", ["device"] = "tmpfs", ["o"] = "size=1m" }, labels, Ct);
        Assert.Equal(network, Assert.Single(await Engine.ListNetworksAsync(LabelSelector.ForInstance(instance.Labels), Ct)).Name);
        Assert.Equal(volume, Assert.Single(await Engine.ListVolumesAsync(LabelSelector.ForInstance(instance.Labels), Ct)).Name);
        Assert.Equal(network, await DockerCli.RunAsync("network", "inspect", "--format", "{{.Name}}", network));
        Assert.Equal("tmpfs", await DockerCli.RunAsync("volume", "inspect", "--format", "{{index .Options \"type\"}}", volume));

        await Engine.RemoveNetworkAsync(network, Ct);
        await Engine.RemoveVolumeAsync(volume, Ct);
        await Engine.RemoveVolumeAsync(volume, Ct);
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("network", "inspect", network)).Exit);
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("volume", "inspect", volume)).Exit);
    }

    [Fact]
    public async Task Images_are_inspected_built_from_a_context_and_removed()
    {
        Assert.NotNull(await Engine.InspectImageAsync(TestEngine.Image, Ct));
        Assert.Null(await Engine.InspectImageAsync("agent-test/does-not-exist:1", Ct));
        Assert.Contains(await Engine.ListImagesAsync(Ct), i => i.Tags.Contains(TestEngine.Image));

        var tag = $"agent-test/{instance.Id}:built";
        using var context = new MemoryStream();
        await using (var tar = new TarWriter(context, leaveOpen: true))
        {
            var dockerfile = Encoding.UTF8.GetBytes($"FROM {TestEngine.Image}\nRUN echo built > /built.txt\n");
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "Dockerfile") { DataStream = new MemoryStream(dockerfile) });
        }
        context.Position = 0;
        var progress = new List<string>();
        await Engine.BuildImageAsync(context, tag, new Progress<string>(progress.Add), Ct);
        try
        {
            Assert.NotNull(await Engine.InspectImageAsync(tag, Ct));
            Assert.Equal("built", await DockerCli.RunAsync("run", "--rm", tag, "cat", "/built.txt"));
        }
        finally
        {
            await Engine.RemoveImageAsync(tag, force: true, Ct);
        }
        Assert.Null(await Engine.InspectImageAsync(tag, Ct));
    }

    [Fact]
    public async Task A_context_folder_is_built_with_dockerignore_args_target_and_labels_and_its_hash_follows_only_sent_files()
    {
        var root = Directory.CreateTempSubdirectory("agent-build-").FullName;
        var tag = $"agent-test/{instance.Id}:context";
        try
        {
            File.WriteAllText(Path.Combine(root, "app.Dockerfile"),
                $"FROM {TestEngine.Image} AS base\nARG GREETING\nCOPY . /ctx/\nRUN echo \"$GREETING\" > /greeting\nFROM base AS final\nRUN touch /final\n");
            File.WriteAllText(Path.Combine(root, "hello.txt"), "hello");
            File.WriteAllText(Path.Combine(root, "secret.key"), "do not send");
            Directory.CreateDirectory(Path.Combine(root, "logs"));
            File.WriteAllText(Path.Combine(root, "logs", "a.log"), "noise");
            File.WriteAllText(Path.Combine(root, ".dockerignore"), "*.key\nlogs\n");
            var hash = BuildContext.Hash(root, "app.Dockerfile");

            await using (var context = await BuildContext.TarAsync(root, "app.Dockerfile", null, Ct))
                await Engine.BuildImageAsync(context, new ImageBuildRequest(tag)
                {
                    Dockerfile = "app.Dockerfile",
                    Args = new Dictionary<string, string> { ["GREETING"] = "hi from args" },
                    Target = "base",
                    Labels = new Dictionary<string, string> { ["agent.test"] = instance.Id },
                }, null, Ct);

            Assert.Equal("hi from args", await DockerCli.RunAsync("run", "--rm", tag, "cat", "/greeting"));
            Assert.Equal(".dockerignore app.Dockerfile hello.txt", (await DockerCli.RunAsync("run", "--rm", tag, "ls", "-A", "/ctx")).Replace('\n', ' '));
            Assert.NotEqual(0, (await DockerCli.TryRunAsync("run", "--rm", tag, "test", "-e", "/final")).Exit); // target: base
            Assert.Equal(instance.Id, await DockerCli.InspectAsync(tag, "{{index .Config.Labels \"agent.test\"}}"));

            File.WriteAllText(Path.Combine(root, "logs", "a.log"), "more noise");
            File.WriteAllText(Path.Combine(root, "secret.key"), "still not sent");
            Assert.Equal(hash, BuildContext.Hash(root, "app.Dockerfile"));
            File.WriteAllText(Path.Combine(root, "hello.txt"), "hello again");
            Assert.NotEqual(hash, BuildContext.Hash(root, "app.Dockerfile"));
        }
        finally
        {
            await DockerCli.TryRunAsync("rmi", "-f", tag);
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Pulling_without_a_registry_is_an_engine_error_not_a_crash()
    {
        var error = await Assert.ThrowsAnyAsync<EngineException>(() =>
            Engine.PullImageAsync("agent-test.invalid/nothing:1", null, Ct));
        Assert.Contains("agent-test.invalid/nothing", error.Message);
    }

    [Fact]
    public async Task Unreachable_docker_host_is_a_clear_error()
    {
        using var engine = DockerEngine.FromEnvironment("unix:///tmp/agent-no-such-engine.sock");
        var error = await Assert.ThrowsAsync<EngineUnavailableException>(() => engine.PingAsync(Ct));
        Assert.Contains("unix:///tmp/agent-no-such-engine.sock", error.Message);
        Assert.Contains("not reachable", error.Message);
        Assert.Contains("DOCKER_HOST", error.Message);

        using var tcp = DockerEngine.FromEnvironment("tcp://127.0.0.1:1");
        await Assert.ThrowsAsync<EngineUnavailableException>(() => tcp.ListContainersAsync(LabelSelector.Of("x"), Ct));
    }

    [Fact]
    public async Task Version_and_info_describe_the_engine()
    {
        var version = await Engine.GetVersionAsync(Ct);
        Assert.Equal(await DockerCli.RunAsync("version", "--format", "{{.Server.APIVersion}}"), version.ApiVersion);
        var info = await Engine.GetInfoAsync(Ct);
        Assert.True(info.Cpus >= 1);
    }

    [Fact]
    public async Task Concurrent_removals_of_one_container_each_return_only_once_it_is_gone()
    {
        // The engine answers a second removal while one runs with 409 "already in progress": the adapter waits for the
        // first, so whoever removed a container never sees it listed afterwards (a refused run that "left nothing").
        for (var round = 0; round < 5; round++)
        {
            var id = await CreateAsync($"rm{round}", ["sleep", "600"]);
            await Engine.StartContainerAsync(id, Ct);
            await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
            {
                await Engine.RemoveContainerAsync(id, force: true, Ct);
                Assert.Equal("", await DockerCli.RunAsync("ps", "-a", "-q", "--filter", $"id={id}"));
            }));
        }
    }

    [Fact]
    public async Task Concurrent_image_prunes_wait_for_each_other_instead_of_failing()
    {
        // The engine refuses a second prune while one runs (409); the adapter waits for it. A label no image carries
        // keeps this run from removing anything another test needs.
        var filter = new ImagePruneFilter(true, [$"agent.test-prune={instance.Id}"], null);
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Engine.PruneImagesAsync(filter, Ct)));
        Assert.All(results, r => Assert.Equal(0, r.Deleted));
    }

    [Fact]
    public async Task A_failed_build_leaves_no_container_behind()
    {
        var root = Directory.CreateTempSubdirectory("agent-build-fail-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(root, "Dockerfile"), $"FROM {TestEngine.Image}\nRUN echo {instance.Id} && exit 7\n");
            await using (var context = await BuildContext.TarAsync(root, "Dockerfile", null, Ct))
                await Assert.ThrowsAnyAsync<Exception>(() => Engine.BuildImageAsync(context, new ImageBuildRequest($"{instance.Id}-broken"), null, Ct));
            var commands = await DockerCli.RunAsync("ps", "-a", "--no-trunc", "--format", "{{.Command}}");
            Assert.DoesNotContain(instance.Id, commands);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
