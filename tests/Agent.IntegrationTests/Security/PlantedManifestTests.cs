using System.Net;
using System.Text.Json;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using Agent.Sources;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.IntegrationTests.Security;

/// <summary>
/// probe-15c G15: a compose stack's usual <c>./data:/data</c> is a folder inside the manifests folder that its container
/// (and anyone who may write files into it: PUT /files, exec) can write. Manifests written there are not applied; the
/// docker CLI is the oracle for what runs.
/// </summary>
public sealed class PlantedManifestTests : SecurityScenario
{
    [Fact]
    public async Task Manifests_written_into_a_read_write_bind_folder_by_the_files_api_or_the_container_are_not_applied_and_name_the_bind()
    {
        var project = Instance.Name("rwbind");
        var planted = Instance.Name("planted");
        var stack = Instance.Name("plantedstack");
        Agent.Write($"{project}/compose.yaml", $"services:\n  web:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n" +
            "    stop_signal: SIGKILL\n    volumes: [\"./data:/data\"]\n");
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var web = (await Containers.RunningAsync(Instance, project, 1)).Single();

        using var admin = Admin();
        var put = await admin.PutAsync($"/api/v1/containers/{project}-web-1/files?path={Uri.EscapeDataString("/data/planted.yaml")}",
            new StringContent(Manifest.Group(planted, Manifest.Sleeper("x"))));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await DockerCli.RunAsync("exec", web.Id, "sh", "-c",
            $"mkdir -p /data/{stack} && printf 'services:\\n  y:\\n    image: {TestEngine.Image}\\n    command: [sleep, \"3600\"]\\n' > /data/{stack}/compose.yaml");

        var store = Agent.Services.GetRequiredService<ManifestStore>();
        foreach (var file in new[] { $"{project}/data/planted.yaml", $"{project}/data/{stack}/compose.yaml" })
        {
            var error = await Eventually.ReturnsAsync(() => Task.FromResult(store.Errors.FirstOrDefault(e => e.File == file)), e => e is not null,
                TimeSpan.FromSeconds(60), $"an error on {file}");
            Assert.Contains($"not read: it lies inside ./{project}/data, bound read-write by ComposeProject/{project}", error!.Message);
        }

        foreach (var name in new[] { planted, stack })
            Assert.Equal("", (await DockerCli.RunAsync("ps", "-aq", "--filter", $"label=agent.object={name}")).Trim());
        Assert.Equal([web.Id], (await Containers.OfAsync(Instance, project)).Where(r => r.State == "running").Select(r => r.Id));
    }

    [Fact]
    public async Task A_bind_mount_alias_of_a_manifests_folder_under_a_bind_root_is_that_folder_so_what_its_container_writes_is_not_read()
    {
        // probe-15f F6: mount --bind shows a manifests subfolder at a second path, under an AllowedBindRoots entry; no
        // symlink reveals it, so it is recognised by device and inode.
        var outside = Path.Combine(Path.GetTempPath(), $"agent-alias-{Guid.NewGuid():N}");
        var alias = Path.Combine(outside, "alias");
        Directory.CreateDirectory(alias);
        Directory.CreateDirectory(Path.Combine(Agent.Manifests, "bm", "d"));
        await Host("mount", "--bind", Path.Combine(Agent.Manifests, "bm"), alias);
        try
        {
            Agent.Settings["Agent:Security:AllowedBindRoots:0"] = outside;
            var group = Instance.Name("aliased");
            var planted = Instance.Name("aliasplanted");
            Agent.Write($"{group}.yaml", Manifest.Group(group, Manifest.Sleeper("b", $"      volumes: [\"{alias}/d:/data\"]\n")));
            await Agent.StartAsync();
            await Agent.WaitReadyAsync(group);
            var yaml = Manifest.Group(planted, Manifest.Sleeper("x")).Replace("\n", "\\n", StringComparison.Ordinal);
            await DockerCli.RunAsync("exec", $"{group}-b-1", "sh", "-c", $"printf '{yaml}' > /data/planted.yaml");

            var store = Agent.Services.GetRequiredService<ManifestStore>();
            var error = await Eventually.ReturnsAsync(() => Task.FromResult(store.Errors.FirstOrDefault(e => e.File == "bm/d/planted.yaml")), e => e is not null,
                TimeSpan.FromSeconds(60), "an error on bm/d/planted.yaml");
            Assert.Contains($"not read: it lies inside ./bm/d, bound read-write by ServiceGroup/{group}", error!.Message);
            Assert.Equal("", (await DockerCli.RunAsync("ps", "-aq", "--filter", $"label=agent.object={planted}")).Trim());
        }
        finally
        {
            await Agent.StopAsync();
            await Host("umount", alias);
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public async Task A_run_binding_a_mount_point_under_a_bind_root_is_judged_not_a_500()
    {
        // probe-22 F7: a request's bind of a mount point (dockerd's data root is one) on the manifests' filesystem was
        // compared with a manifests folder a request does not have, and answered 500 (DirectoryNotFoundException).
        var outside = Path.Combine("/var/tmp", $"agent-selfmount-{Guid.NewGuid():N}");
        Directory.CreateDirectory(outside);
        await Host("mount", "--bind", outside, outside);
        try
        {
            Agent.Settings["Agent:Security:AllowedBindRoots:0"] = outside;
            await Agent.StartAsync();
            using var admin = Admin();
            using var response = await admin.PostAsync("/api/v1/run", Json(RunBody(Instance.Name("selfmount"), "true", outside, autoRemove: true)));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK or HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {body}");
        }
        finally
        {
            await Agent.StopAsync();
            await Host("umount", outside);
            Directory.Delete(outside, recursive: true);
        }
    }

    private static async Task Host(string program, params string[] args)
    {
        var (exit, _, stderr) = await ExternalTool.RunAsync(program, args);
        Assert.True(exit == 0, $"{program} {string.Join(' ', args)}: {stderr}");
    }

    /// <summary>A run may bind a folder of the manifests when a bind root holds them (a usual /srv + /srv/manifests layout).</summary>
    private void AllowBindsInTheManifests() => Agent.Settings["Agent:Security:AllowedBindRoots:0"] = Agent.Manifests;

    private static string RunBody(string name, string command, string source, bool autoRemove) => JsonSerializer.Serialize(new
    {
        autoRemove,
        service = new { name, image = TestEngine.Image, command = new[] { "sh", "-c", command }, stopSignal = "SIGKILL", volumes = new[] { $"{source}:/data" } },
    });

    [Fact]
    public async Task An_autoRemove_run_binding_a_folder_of_the_manifests_is_recorded_before_its_create_so_what_it_wrote_is_never_read()
    {
        // probe-15f F7: the container is gone before the agent sees it; the record is made (and saved) before the create.
        AllowBindsInTheManifests();
        await Agent.StartAsync();
        var planted = Instance.Name("runplanted");
        var run = Instance.Name("arm");
        var folder = Path.Combine(Agent.Manifests, "ar");
        Directory.CreateDirectory(folder);
        var yaml = Manifest.Group(planted, Manifest.Sleeper("x")).Replace("\n", "\\n", StringComparison.Ordinal);
        using var admin = Admin();
        using var response = await admin.PostAsync("/api/v1/run", Json(RunBody(run, $"printf '{yaml}' > /data/planted.yaml", folder, autoRemove: true)));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("inspect", run)).Exit != 0, TimeSpan.FromSeconds(60), "the engine removed the exited run");

        using var record = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Agent.StateDir, ManifestIndex.WritableBindsFileName)));
        Assert.Equal($"Run/{run}", record.RootElement.GetProperty(ManifestFolder.Resolve(folder)).GetString());
        var store = Agent.Services.GetRequiredService<ManifestStore>();
        var error = await Eventually.ReturnsAsync(() => Task.FromResult(store.Errors.FirstOrDefault(e => e.File == "ar/planted.yaml")), e => e is not null,
            TimeSpan.FromSeconds(60), "an error on ar/planted.yaml");
        Assert.Contains($"not read: it lies inside ./ar, bound read-write by Run/{run}", error!.Message);
        Assert.Equal("", (await DockerCli.RunAsync("ps", "-aq", "--filter", $"label=agent.object={planted}")).Trim());
    }

    [Fact]
    public async Task A_container_with_a_new_read_write_bind_in_the_manifests_is_not_created_while_that_bind_cannot_be_recorded()
    {
        // probe-15f F3: the record is written before the change takes effect, or the change does not take effect.
        AllowBindsInTheManifests();
        Directory.CreateDirectory(Path.Combine(Agent.StateDir, ManifestIndex.WritableBindsFileName, "x")); // a folder in its place: the write fails, as on a full disk
        var group = Instance.Name("unrecorded");
        Agent.Write($"{group}.yaml", Manifest.Group(group, Manifest.Sleeper("w", "      volumes: [\"./data:/data\"]\n")));
        await Agent.StartAsync();
        var status = await Agent.WaitForConditionAsync(group, ConditionTypes.Degraded, "True", "ApplyFailed");
        Assert.Contains("read-write binds could not be recorded first", status.Condition(ConditionTypes.Degraded)!.Message);
        Assert.Contains(ManifestIndex.WritableBindsFileName, status.Condition(ConditionTypes.Degraded)!.Message);

        var run = Instance.Name("unrecordedrun");
        using var admin = Admin();
        using var response = await admin.PostAsync("/api/v1/run", Json(RunBody(run, "sleep 3600", Path.Combine(Agent.Manifests, "r"), autoRemove: false)));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode); // 507 when the disk is full
        Assert.Contains(ManifestIndex.WritableBindsFileName, body);

        Assert.Equal("", (await DockerCli.RunAsync("ps", "-aq", "--filter", $"label=agent.object={group}")).Trim());
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("inspect", run)).Exit);
    }

    [Fact]
    public async Task A_2000_deep_chain_of_folders_a_container_writes_into_its_data_folder_stalls_no_read_before_or_after_a_restart()
    {
        // probe-15g F6: the chain (written from inside, deeper than PATH_MAX on the host) made each read take minutes.
        AllowBindsInTheManifests();
        var writer = Instance.Name("chainw");
        var other = Instance.Name("chainz");
        Agent.Write($"{writer}.yaml", Manifest.Group(writer, Manifest.Sleeper("w", "      volumes: [\"./wdata:/data\"]\n")));
        Agent.Write($"{other}.yaml", Manifest.Group(other, Manifest.Sleeper("z")));
        var wdata = Path.Combine(Agent.Manifests, "wdata");
        try
        {
            await Agent.StartAsync();
            await Agent.WaitReadyAsync(writer);
            await Agent.WaitReadyAsync(other);
            var w = (await Containers.RunningAsync(Instance, writer, 1)).Single();
            await DockerCli.RunAsync("exec", w.Id, "sh", "-c", "cd /data && i=0; while [ $i -lt 2100 ]; do mkdir d && cd d || break; i=$((i+1)); done; echo $i");
            Assert.True(Directory.Exists(Path.Combine(wdata, "d", "d", "d")));

            // An edit elsewhere is applied; readiness holds.
            var before = (await Containers.RunningAsync(Instance, other, 1)).Single();
            Agent.Write($"{other}.yaml", Manifest.Group(other, Manifest.Sleeper("z", "      env: { Z: \"2\" }\n")));
            var after = await Eventually.ReturnsAsync(() => Containers.OfAsync(Instance, other), rows => rows.Count == 1 && rows[0].Id != before.Id && rows[0].State == "running",
                TimeSpan.FromSeconds(60), "the edited group recreated");
            Assert.Contains("Z=2", await DockerCli.RunAsync("inspect", "--format", "{{json .Config.Env}}", after[0].Id));
            using (var client = Agent.Client())
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);

            // After a restart with the chain in place: ready, and what dies is brought back.
            await Agent.StopAsync();
            await Agent.StartAsync();
            using (var client = Agent.Client())
                await Eventually.ReturnsAsync(() => client.GetAsync("/readyz"), r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "ready after the restart");
            await DockerCli.RunAsync("rm", "-f", after[0].Id);
            await Eventually.ReturnsAsync(() => Containers.OfAsync(Instance, other), rows => rows.Count == 1 && rows[0].Id != after[0].Id && rows[0].State == "running",
                TimeSpan.FromSeconds(60), "the removed container brought back");
            var store = Agent.Services.GetRequiredService<ManifestStore>();
            Assert.Contains(store.Errors, e => e.File == "wdata" && e.Message.Contains($"bound read-write by ServiceGroup/{writer}", StringComparison.Ordinal));
        }
        finally
        {
            await Agent.StopAsync();
            await ExternalTool.ShellAsync($"rm -rf '{wdata}/d'"); // deeper than PATH_MAX: rm walks it relative to each folder
        }
    }

    [Fact]
    public async Task A_container_swapping_a_nested_bind_source_for_a_link_above_the_manifests_folder_does_not_stop_the_manifests_being_read()
    {
        // probe-15h H4: outer's container replaces inner's bind source by a link ../..; re-resolved, the whole manifests
        // folder was recorded as written by the inner group, and no manifest was read again.
        AllowBindsInTheManifests();
        var outer = Instance.Name("nga");
        var inner = Instance.Name("ngb");
        var other = Instance.Name("ngz");
        Agent.Write($"{outer}.yaml", Manifest.Group(outer, Manifest.Sleeper("a", "      volumes: [\"./outer:/o\"]\n")) + "---\n" +
            Manifest.Group(inner, Manifest.Sleeper("b", "      volumes: [\"./outer/inner:/i\"]\n")));
        Agent.Write($"{other}.yaml", Manifest.Group(other, Manifest.Sleeper("z")));
        var link = Path.Combine(Agent.Manifests, "outer", "inner");
        try
        {
            await Agent.StartAsync();
            await Agent.WaitReadyAsync(outer);
            await Agent.WaitReadyAsync(inner);
            await Agent.WaitReadyAsync(other);
            var a = (await Containers.RunningAsync(Instance, outer, 1)).Single();
            await DockerCli.RunAsync("exec", a.Id, "sh", "-c", "mv /o/inner /o/inner.old && ln -s ../.. /o/inner");

            var before = (await Containers.RunningAsync(Instance, other, 1)).Single();
            Agent.Write($"{other}.yaml", Manifest.Group(other, Manifest.Sleeper("z", "      env: { Z: \"2\" }\n")));
            var after = await Eventually.ReturnsAsync(() => Containers.OfAsync(Instance, other), rows => rows.Count == 1 && rows[0].Id != before.Id && rows[0].State == "running",
                TimeSpan.FromSeconds(60), "the edited group recreated");
            Assert.Contains("Z=2", await DockerCli.RunAsync("inspect", "--format", "{{json .Config.Env}}", after[0].Id));
            var real = ManifestFolder.Resolve(Agent.Manifests);
            var record = await File.ReadAllTextAsync(Path.Combine(Agent.StateDir, ManifestIndex.WritableBindsFileName));
            Assert.DoesNotContain($"\"{real}\"", record);
            Assert.DoesNotContain($"\"{Path.GetDirectoryName(real)}\"", record);
        }
        finally
        {
            await Agent.StopAsync();
            if (new FileInfo(link).LinkTarget is not null) File.Delete(link);
        }
    }

    [Fact]
    public async Task A_corrupt_record_of_writable_binds_at_a_restart_applies_nothing_a_container_wrote_and_keeps_what_runs()
    {
        // probe-15g F2: the record truncated while the agent was down; it read as empty and the planted groups ran.
        AllowBindsInTheManifests();
        var writer = Instance.Name("lostw");
        var kept = Instance.Name("lostk");
        var planted = Instance.Name("lostp");
        Agent.Write($"{writer}.yaml", Manifest.Group(writer, Manifest.Sleeper("w", "      volumes: [\"./wdata:/data\"]\n")));
        Agent.Write($"{kept}.yaml", Manifest.Group(kept, Manifest.Sleeper("k")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(writer);
        await Agent.WaitReadyAsync(kept);
        var w = (await Containers.RunningAsync(Instance, writer, 1)).Single();
        var yaml = Manifest.Group(planted, Manifest.Sleeper("x")).Replace("\n", "\\n", StringComparison.Ordinal);
        await DockerCli.RunAsync("exec", w.Id, "sh", "-c", $"printf '{yaml}' > /data/planted.yaml");
        var store = Agent.Services.GetRequiredService<ManifestStore>();
        await Eventually.ReturnsAsync(() => Task.FromResult(store.Errors.FirstOrDefault(e => e.File == "wdata/planted.yaml")), e => e is not null, TimeSpan.FromSeconds(60), "planted.yaml not read");
        await DockerCli.RunAsync("rm", "-f", w.Id);
        Agent.Delete($"{writer}.yaml");
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, writer)).Count == 0 && store.Get(new Core.Model.ObjectKey("ServiceGroup", writer)) is null,
            TimeSpan.FromSeconds(60), "the writer group gone");
        var running = (await Containers.RunningAsync(Instance, kept, 1)).Single();

        await Agent.StopAsync();
        var record = Path.Combine(Agent.StateDir, ManifestIndex.WritableBindsFileName);
        await File.WriteAllTextAsync(record, "{\"" + ManifestFolder.Resolve(Path.Combine(Agent.Manifests, "wdata")) + "\": ");
        await Agent.StartAsync();

        using var client = Admin();
        var ready = await Eventually.ReturnsAsync(() => client.GetAsync("/readyz?verbose"), r => r.StatusCode == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(60), "not ready");
        Assert.Contains(ManifestIndex.WritableBindsLostFileName, await ready.Content.ReadAsStringAsync());
        var status = await Agent.WaitForConditionAsync(kept, ConditionTypes.Ready, "False", "WritableBindsLost");
        Assert.Contains(ManifestIndex.WritableBindsLostFileName, status.Condition(ConditionTypes.Ready)!.Message);
        Assert.Single(Directory.GetFiles(Agent.StateDir, ManifestIndex.WritableBindsFileName + ".corrupt-*"));
        Assert.Equal("", (await DockerCli.RunAsync("ps", "-aq", "--filter", $"label=agent.object={planted}")).Trim());
        Assert.Equal([running.Id], (await Containers.OfAsync(Instance, kept)).Where(r => r.State == "running").Select(r => r.Id));
    }

    [Fact]
    public async Task A_deleted_record_at_a_restart_does_not_walk_the_folder_a_running_container_writes()
    {
        // probe-15h M4: with writable-binds.json deleted, the first read after a restart walked the running container's data
        // folder (before the engine was listed): 45 s and 250,000 log lines for what that container had written there.
        AllowBindsInTheManifests();
        var writer = Instance.Name("walkw");
        Agent.Write($"{writer}.yaml", Manifest.Group(writer, Manifest.Sleeper("w", "      volumes: [\"./wdata:/data\"]\n")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(writer);
        var w = (await Containers.RunningAsync(Instance, writer, 1)).Single();
        // An empty manifest is "file is empty" only when its folder is walked; listed as a folder a container writes, it is "not read".
        await DockerCli.RunAsync("exec", w.Id, "sh", "-c", "mkdir -p /data/x && : > /data/x/e.yaml");
        var store = Agent.Services.GetRequiredService<ManifestStore>();
        await Eventually.ReturnsAsync(() => Task.FromResult(store.Errors.FirstOrDefault(e => e.File == "wdata/x/e.yaml")), e => e is not null, TimeSpan.FromSeconds(60), "e.yaml not read");

        await Agent.StopAsync();
        File.Delete(Path.Combine(Agent.StateDir, ManifestIndex.WritableBindsFileName));
        await Agent.StartAsync();

        await Agent.WaitForConditionAsync(writer, ConditionTypes.Ready, "False", "WritableBindsLost");
        store = Agent.Services.GetRequiredService<ManifestStore>();
        Assert.Contains(store.Errors, e => e.File == "wdata/x/e.yaml" && e.Message.Contains($"bound read-write by ServiceGroup/{writer}", StringComparison.Ordinal));
        Assert.Equal(0, Agent.Logs.Count("wdata/x/e.yaml", "file is empty"));
        Assert.Equal([w.Id], (await Containers.OfAsync(Instance, writer)).Where(r => r.State == "running").Select(r => r.Id));
    }

    [Fact]
    public async Task A_new_read_write_bind_over_a_folder_full_of_manifests_is_one_log_line_naming_the_folder()
    {
        // probe-15h L4 / probe-15f F5: some four log lines per file of the folder (235,000 for 60,000 files).
        AllowBindsInTheManifests();
        var writer = Instance.Name("bulkw");
        for (var d = 0; d < 3; d++)
            for (var f = 0; f < 100; f++) Agent.Write($"bulk/d{d}/f{f}.yaml", "");
        Agent.Write($"{writer}.yaml", Manifest.Group(writer, Manifest.Sleeper("w")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(writer);
        var before = Agent.Logs.Lines.Count; // each empty manifest was logged once (as at any start): not read yet, not bound

        Agent.Write($"{writer}.yaml", Manifest.Group(writer, Manifest.Sleeper("w", "      volumes: [\"./bulk:/data\"]\n")));
        await Eventually.TrueAsync(async () => await Containers.OfAsync(Instance, writer) is [{ State: "running" } row]
            && (await DockerCli.RunAsync("inspect", "--format", "{{range .Mounts}}{{.Destination}} {{end}}", row.Id)).Contains("/data", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60), "the group recreated with its bind");

        var line = await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(60), "bulk: 300 manifest files not read", $"bound read-write by ServiceGroup/{writer}");
        var named = Agent.Logs.Lines.Skip(before).Where(l => l.Contains(nameof(ManifestStore), StringComparison.Ordinal) && l.Contains("bulk", StringComparison.Ordinal)).ToList();
        Assert.True(named.Count == 2, string.Join("\n", named.Take(5))); // the files not read, and the problems met there before no longer reported
        Assert.Contains(named, l => l.Contains("300 problem(s) under bulk are no longer reported", StringComparison.Ordinal));
        Assert.Contains("e.g. bulk/d0/f0.yaml", line);
        using var client = Agent.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        Assert.Equal("running", Assert.Single(await Containers.OfAsync(Instance, writer)).State);
    }
}
