using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Compose;

/// <summary>Compose projects on the real engine: named and labelled as Compose names them, so docker-compose sees them.</summary>
public sealed class ComposeProjectTests : AgentScenario
{
    private static string Sleeper(string name, string extra = "") =>
        $"  {name}:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n{extra}";

    [Fact]
    public async Task Services_sharing_an_image_each_keep_their_own_pull_policy()
    {
        // probe-61: the first service's pull_policy decided for both. Here "pulled" (always, listed first) pulls, which
        // fails offline, and "local" (never) runs on the image that is here, as docker compose up does.
        var project = Instance.Name("pullmix");
        Agent.Write($"{project}/compose.yaml", "services:\n" + Sleeper("pulled", "    pull_policy: always\n") + Sleeper("local", "    pull_policy: never\n"));
        await Agent.StartAsync();
        var degraded = await Agent.WaitForConditionAsync(project, "Degraded", "True", "ApplyFailed", kind: global::Agent.Core.Model.ServiceGroup.ComposeKindName);
        Assert.Contains($"image:{TestEngine.Image} EnsureImage failed", degraded.Condition("Degraded")!.Message);
        await Eventually.TrueAsync(async () => (await DockerCli.TryRunAsync("inspect", "--format", "{{.State.Status}}", $"{project}-local-1")).Stdout.Trim() == "running",
            TimeSpan.FromSeconds(90), "local running on the image that is here");
        Assert.NotEqual(0, (await DockerCli.TryRunAsync("inspect", $"{project}-pulled-1")).Exit); // its pull failed: not made
    }

    [Fact]
    public async Task A_stack_folder_is_applied_and_docker_compose_ps_lists_exactly_its_containers()
    {
        var project = Instance.Name("stack");
        Agent.Write($"{project}/compose.yaml", "services:\n" + Sleeper("web", "    scale: 2\n") + Sleeper("db", "    volumes: [data:/data]\n") + "volumes:\n  data: {}\n");
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);

        var rows = await Containers.RunningAsync(Instance, project, 3);
        Assert.Equal([$"{project}-db-1", $"{project}-web-1", $"{project}-web-2"], rows.Select(r => r.Name));
        var file = Path.Combine(Agent.Manifests, project, "compose.yaml");
        var listed = (await DockerCompose.RunAsync(project, file, "ps", "-q")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(rows.Select(r => r.Id).Order(), listed.Order());

        Assert.Equal($"{project}_default", await DockerCli.RunAsync("network", "inspect", "--format", "{{.Name}}", $"{project}_default"));
        Assert.Equal($"{project} data", await DockerCli.RunAsync("volume", "inspect", "--format",
            "{{index .Labels \"com.docker.compose.project\"}} {{index .Labels \"com.docker.compose.volume\"}}", $"{project}_data"));
        var labels = await DockerCli.InspectAsync($"{project}-web-2",
            "{{index .Config.Labels \"com.docker.compose.service\"}} {{index .Config.Labels \"com.docker.compose.container-number\"}} {{index .Config.Labels \"com.docker.compose.oneoff\"}}");
        Assert.Equal("web 2 False", labels);
    }

    [Fact]
    public async Task An_unchanged_project_resyncs_without_recreating_and_an_env_file_edit_recreates_only_its_service()
    {
        var project = Instance.Name("edit");
        Agent.Write($"{project}/app.env", "MODE=one\n");
        Agent.Write($"{project}/compose.yaml", "services:\n" + Sleeper("a", "    env_file: app.env\n") + Sleeper("b"));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var before = await Containers.RunningAsync(Instance, project, 2);

        Agent.Write($"{project}/compose.yaml", "services:\n" + Sleeper("a", "    env_file: app.env\n") + Sleeper("b") + "# a comment changes nothing\n");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(before.Select(r => r.Id), (await Containers.OfAsync(Instance, project)).Select(r => r.Id));

        Agent.Write($"{project}/app.env", "MODE=two\n");
        Agent.Write($"{project}/compose.yaml", "services:\n" + Sleeper("a", "    env_file: app.env\n") + Sleeper("b") + "# touched so the folder is read again\n");
        var after = await Eventually.ReturnsAsync(() => Containers.OfAsync(Instance, project),
            r => r.Count == 2 && r.All(x => x.State == "running") && r.Single(x => x.Name.EndsWith("-a-1")).Id != before.Single(x => x.Name.EndsWith("-a-1")).Id,
            TimeSpan.FromSeconds(60), "a recreated");
        Assert.Equal(before.Single(r => r.Name.EndsWith("-b-1")).Id, after.Single(r => r.Name.EndsWith("-b-1")).Id);
        Assert.Contains("MODE=two", await DockerCli.InspectAsync($"{project}-a-1", "{{range .Config.Env}}{{println .}}{{end}}"));
    }

    [Fact]
    public async Task A_missing_data_bind_folder_is_created_and_the_service_writing_to_it_is_never_recreated_for_its_writes()
    {
        var project = Instance.Name("data");
        Agent.Write($"{project}/compose.yaml", $"services:\n  web:\n    image: {TestEngine.Image}\n"
            + "    command: [\"sh\", \"-c\", \"while true; do date >> /data/log; sleep 0.2; done\"]\n    stop_signal: SIGKILL\n    volumes: [\"./data:/data\"]\n");
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project); // probe-15c G17: the engine refused the missing ./data
        var log = Path.Combine(Agent.Manifests, project, "data", "log");
        await Eventually.ReturnsAsync(() => Task.FromResult(File.Exists(log)), x => x, TimeSpan.FromSeconds(30), "the container writes through the created folder");
        var before = await Containers.RunningAsync(Instance, project, 1);

        Agent.Write($"{project}/compose.yaml", File.ReadAllText(Path.Combine(Agent.Manifests, project, "compose.yaml")) + "# read again\n");
        await Task.Delay(TimeSpan.FromSeconds(3)); // probe-15c G18: its own writes recreated it on every read
        Assert.Equal(before.Select(r => r.Id), (await Containers.OfAsync(Instance, project)).Where(r => r.State == "running").Select(r => r.Id));
    }

    [Fact]
    public async Task A_dot_env_edit_alone_recreates_only_the_service_whose_interpolated_value_changed()
    {
        var project = Instance.Name("dotenv");
        Agent.Write($"{project}/.env", "TAG=one\n");
        Agent.Write($"{project}/compose.yaml", "services:\n" + Sleeper("a", "    environment: [\"TAG=${TAG}\"]\n") + Sleeper("b"));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var before = await Containers.RunningAsync(Instance, project, 2);

        Agent.Write($"{project}/.env", "TAG=two\n"); // the hidden file alone, which the manifests folder's own read skips
        var after = await Eventually.ReturnsAsync(() => Containers.OfAsync(Instance, project),
            r => r.Count == 2 && r.All(x => x.State == "running") && r.Single(x => x.Name.EndsWith("-a-1")).Id != before.Single(x => x.Name.EndsWith("-a-1")).Id,
            TimeSpan.FromSeconds(60), "a recreated after the .env edit");
        Assert.Equal(before.Single(r => r.Name.EndsWith("-b-1")).Id, after.Single(r => r.Name.EndsWith("-b-1")).Id);
        Assert.Contains("TAG=two", await DockerCli.InspectAsync($"{project}-a-1", "{{range .Config.Env}}{{println .}}{{end}}"));
    }

    [Fact]
    public async Task A_ComposeProject_manifest_merges_its_files_and_interpolates_its_environment()
    {
        var project = Instance.Name("shop");
        Agent.Write("stacks/shop/compose.base.yaml", "services:\n" + Sleeper("api", "    environment: [\"TAG=${TAG}\", TIER=base]\n"));
        Agent.Write("stacks/shop/compose.prod.yaml", "services:\n  api:\n    environment: { TIER: prod }\n    labels: { tier: \"${TIER_LABEL:-backend}\" }\n");
        Agent.Write("shop.yaml", $"apiVersion: agent/v1\nkind: ComposeProject\nmetadata: {{ name: {project} }}\nspec:\n" +
            "  files: [stacks/shop/compose.base.yaml, stacks/shop/compose.prod.yaml]\n  environment: { TAG: \"1.4\" }\n");
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var env = await DockerCli.InspectAsync($"{project}-api-1", "{{range .Config.Env}}{{println .}}{{end}}");
        Assert.Contains("TAG=1.4", env);
        Assert.Contains("TIER=prod", env);
        Assert.Equal("backend", await DockerCli.InspectAsync($"{project}-api-1", "{{index .Config.Labels \"tier\"}}"));
    }

    [Fact]
    public async Task Editing_a_secret_file_recreates_only_the_service_that_uses_it_and_one_over_the_file_limit_holds_what_runs()
    {
        var project = Instance.Name("secret");
        Agent.Write($"{project}/token.txt", "one\n");
        Agent.Write($"{project}/compose.yaml", "services:\n" + Sleeper("uses", "    secrets: [token]\n") + Sleeper("other") + "secrets:\n  token: { file: token.txt }\n");
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var before = await Containers.RunningAsync(Instance, project, 2);
        Assert.Equal("one", await DockerCli.RunAsync("exec", $"{project}-uses-1", "cat", "/run/secrets/token"));

        Agent.Write($"{project}/token.txt", "two\n");
        Agent.Write($"{project}/compose.yaml", "services:\n" + Sleeper("uses", "    secrets: [token]\n") + Sleeper("other") + "secrets:\n  token: { file: token.txt }\n# read again\n");
        var after = await Eventually.ReturnsAsync(() => Containers.OfAsync(Instance, project),
            r => r.Count == 2 && r.All(x => x.State == "running") && r.Single(x => x.Name.EndsWith("-uses-1")).Id != before.Single(x => x.Name.EndsWith("-uses-1")).Id,
            TimeSpan.FromSeconds(60), "uses recreated");
        Assert.Equal(before.Single(r => r.Name.EndsWith("-other-1")).Id, after.Single(r => r.Name.EndsWith("-other-1")).Id);
        Assert.Equal("two", await DockerCli.RunAsync("exec", $"{project}-uses-1", "cat", "/run/secrets/token"));

        // A 3 GiB (sparse) secret is refused by its size, never read to be hashed (probe-15h L1), and is no deletion.
        using (var big = File.OpenWrite(Path.Combine(Agent.Manifests, project, "token.txt"))) big.SetLength(3L << 30);
        Agent.Write($"{project}/compose.yaml", "services:\n" + Sleeper("uses", "    secrets: [token]\n") + Sleeper("other") + "secrets:\n  token: { file: token.txt }\n# read again, twice\n");
        var held = await Agent.WaitForConditionAsync(project, "Degraded", "True", "InvalidManifest", kind: "ComposeProject");
        Assert.Contains("secrets.token.file: secret file \"token.txt\" is 3221225472 bytes, over the limit of 1048576 bytes per file the agent reads (Agent:MaxManifestFileBytes)",
            held.Condition("Degraded")!.Message);
        Assert.Equal(after.Select(r => (r.Id, r.State)), (await Containers.OfAsync(Instance, project)).Select(r => (r.Id, r.State)));
    }

    [Fact]
    public async Task Include_and_extends_are_applied_and_an_emptied_included_file_holds_what_runs()
    {
        var project = Instance.Name("incl");
        Agent.Write("common/base.yaml", "services:\n" + Sleeper("sleeper", "    env_file: base.env\n    labels: { from: base }\n"));
        Agent.Write("common/base.env", "FROM_BASE=1\n");
        Agent.Write($"{project}/db.yaml", "services:\n" + Sleeper("db", "    environment: { ROLE: db }\n"));
        Agent.Write($"{project}/compose.yaml", "include: [db.yaml]\nservices:\n  web:\n    extends: { file: ../common/base.yaml, service: sleeper }\n    environment: { OWN: web }\n    depends_on: [db]\n");
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var before = await Containers.RunningAsync(Instance, project, 2);
        Assert.Equal([$"{project}-db-1", $"{project}-web-1"], before.Select(r => r.Name));
        var env = await DockerCli.InspectAsync($"{project}-web-1", "{{range .Config.Env}}{{println .}}{{end}}");
        Assert.Contains("FROM_BASE=1", env);
        Assert.Contains("OWN=web", env);
        Assert.Equal("base", await DockerCli.InspectAsync($"{project}-web-1", "{{index .Config.Labels \"from\"}}"));
        Assert.Contains("ROLE=db", await DockerCli.InspectAsync($"{project}-db-1", "{{range .Config.Env}}{{println .}}{{end}}"));

        Agent.Write($"{project}/db.yaml", "");
        Agent.Write($"{project}/compose.yaml", "include: [db.yaml]\nservices:\n  web:\n    extends: { file: ../common/base.yaml, service: sleeper }\n    environment: { OWN: web }\n    depends_on: [db]\n# read again\n");
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(before.Select(r => r.Id), (await Containers.RunningAsync(Instance, project, 2)).Select(r => r.Id));
    }

    [Fact]
    public async Task Secrets_and_configs_from_environment_and_content_are_files_in_the_container_and_a_new_value_recreates_only_their_service()
    {
        var project = Instance.Name("content");
        Agent.Write($"{project}/.env", "TOKEN=sekret-1\n");
        Agent.Write($"{project}/compose.yaml", "services:\n" + Sleeper("uses", "    secrets: [token]\n    configs: [{ source: motd, target: /etc/motd }]\n") + Sleeper("other") +
            "secrets:\n  token: { environment: TOKEN }\nconfigs:\n  motd: { content: \"hello ${TOKEN}\" }\n");
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var before = await Containers.RunningAsync(Instance, project, 2);
        Assert.Equal("sekret-1", await DockerCli.RunAsync("exec", $"{project}-uses-1", "cat", "/run/secrets/token"));
        Assert.Equal("hello sekret-1", await DockerCli.RunAsync("exec", $"{project}-uses-1", "cat", "/etc/motd"));
        Assert.Equal("444", await DockerCli.RunAsync("exec", $"{project}-uses-1", "stat", "-c", "%a", "/run/secrets/token"));
        Assert.DoesNotContain("sekret-1", await DockerCli.InspectAsync($"{project}-uses-1", "{{json .Config.Labels}}{{json .Config.Env}}"));

        Agent.Write($"{project}/.env", "TOKEN=sekret-2\n");
        Agent.Write($"{project}/compose.yaml", "services:\n" + Sleeper("uses", "    secrets: [token]\n    configs: [{ source: motd, target: /etc/motd }]\n") + Sleeper("other") +
            "secrets:\n  token: { environment: TOKEN }\nconfigs:\n  motd: { content: \"hello ${TOKEN}\" }\n# touched so the folder is read again\n");
        var after = await Eventually.ReturnsAsync(() => Containers.OfAsync(Instance, project),
            r => r.Count == 2 && r.All(x => x.State == "running") && r.Single(x => x.Name.EndsWith("-uses-1")).Id != before.Single(x => x.Name.EndsWith("-uses-1")).Id,
            TimeSpan.FromSeconds(60), "uses recreated");
        Assert.Equal(before.Single(r => r.Name.EndsWith("-other-1")).Id, after.Single(r => r.Name.EndsWith("-other-1")).Id);
        Assert.Equal("sekret-2", await DockerCli.RunAsync("exec", $"{project}-uses-1", "cat", "/run/secrets/token"));
    }

    [Fact]
    public async Task A_prune_that_started_stops_when_the_compose_file_is_back_and_what_it_stopped_runs_again()
    {
        var project = Instance.Name("back");
        // busybox sleep as PID 1 ignores SIGTERM: the prune's stop of "slow" takes its whole grace period.
        var compose = "services:\n" + Sleeper("fast") + $"  slow:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n    stop_grace_period: 15s\n";
        Agent.Write($"{project}/compose.yaml", compose);
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var slow = (await Containers.RunningAsync(Instance, project, 2)).Single(r => r.Name.EndsWith("-slow-1"));

        Agent.Delete($"{project}/compose.yaml");
        var pruning = await Agent.WaitForConditionAsync(project, "Ready", "False", "Pruning", TimeSpan.FromSeconds(30), global::Agent.Core.Model.ServiceGroup.ComposeKindName);
        Assert.Contains("manifest is deleted", pruning.Condition("Ready")!.Message);
        Agent.Write($"{project}/compose.yaml", compose); // back while the stop of slow waits out its grace period
        // probe-28 F6: once the prune is abandoned, status no longer says the manifest is deleted (slow's stop has ~10 s to go).
        var key = new global::Agent.Core.Model.ObjectKey(global::Agent.Core.Model.ServiceGroup.ComposeKindName, project);
        var abandoned = await Eventually.ReturnsAsync(() => Task.FromResult(Agent.Status.Get(key)!), s => s.Events.Any(e => e.Reason == "PruneAbandoned"),
            TimeSpan.FromSeconds(30), "the prune abandoned");
        Assert.DoesNotContain("manifest is deleted", abandoned.Condition("Ready")!.Message);

        // The prune does not remove slow: it is started again (same container), fast (if already gone) is recreated.
        var status = await Agent.WaitProjectReadyAsync(project);
        var after = await Containers.RunningAsync(Instance, project, 2);
        Assert.Equal(slow.Id, after.Single(r => r.Name.EndsWith("-slow-1")).Id);
        Assert.Contains(status.Events, e => e.Reason == "PruneAbandoned");
    }

    /// <summary>db (healthy) -> migrate (a one-shot) -> app; busybox sleep ignores SIGTERM: db's and app's stops take 15 s.</summary>
    private static string Chain()
    {
        const string slowStop = "    command: [\"sleep\", \"3600\"]\n    stop_grace_period: 15s\n";
        return "services:\n"
            + $"  db:\n    image: {TestEngine.Image}\n{slowStop}    healthcheck: {{ test: [\"CMD\", \"true\"], interval: 1s, retries: 3 }}\n"
            + $"  migrate:\n    image: {TestEngine.Image}\n    command: [\"true\"]\n    restart: \"no\"\n    depends_on:\n      db: {{ condition: service_healthy }}\n"
            + $"  app:\n    image: {TestEngine.Image}\n{slowStop}    depends_on:\n      migrate: {{ condition: service_completed_successfully }}\n";
    }

    [Fact]
    public async Task A_prune_stops_dependents_first_so_a_compose_file_back_during_the_first_stop_leaves_the_rest_running()
    {
        // probe-25: the prune stopped db and app together (docker compose down stops dependents first), and went on
        // stopping both although the compose file was back.
        var project = Instance.Name("backfirst");
        Agent.Write($"{project}/compose.yaml", Chain());
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var (db, migrate, app) = ($"{project}-db-1", $"{project}-migrate-1", $"{project}-app-1");
        var dbStarted = await DockerCli.InspectAsync(db, "{{.Id}} {{.State.StartedAt}}");
        var migrateRan = await DockerCli.InspectAsync(migrate, "{{.Id}} {{.State.StartedAt}}");

        Agent.Delete($"{project}/compose.yaml");
        await Agent.WaitForConditionAsync(project, "Ready", "False", "Pruning", TimeSpan.FromSeconds(30), global::Agent.Core.Model.ServiceGroup.ComposeKindName);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Agent.Write($"{project}/compose.yaml", Chain()); // back while app's stop waits out its grace period

        await Agent.WaitProjectReadyAsync(project, TimeSpan.FromSeconds(120));
        Assert.Equal(dbStarted, await DockerCli.InspectAsync(db, "{{.Id}} {{.State.StartedAt}}")); // never stopped
        Assert.Equal(migrateRan, await DockerCli.InspectAsync(migrate, "{{.Id}} {{.State.StartedAt}}")); // never removed, not run again
        Assert.Equal("running", await DockerCli.InspectAsync(app, "{{.State.Status}}"));
    }

    [Fact]
    public async Task An_abandoned_prune_starts_what_it_stopped_in_depends_on_order_after_the_one_shot_it_removed()
    {
        // probe-25: the abandoned prune started db and app in the same second, app before migrate (which the prune had
        // removed) was made again and had completed.
        var project = Instance.Name("backchain");
        var compose = Chain();
        Agent.Write($"{project}/compose.yaml", compose);
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var (db, migrate, app) = ($"{project}-db-1", $"{project}-migrate-1", $"{project}-app-1");
        var dbId = (await DockerCli.InspectAsync(db, "{{.Id}}")).Trim();

        Agent.Delete($"{project}/compose.yaml");
        await Agent.WaitForConditionAsync(project, "Ready", "False", "Pruning", TimeSpan.FromSeconds(30), global::Agent.Core.Model.ServiceGroup.ComposeKindName);
        await Eventually.TrueAsync(async () => !await DockerCli.ExistsAsync("container", migrate), TimeSpan.FromSeconds(30), "the completed migrate removed by the prune");
        Agent.Write($"{project}/compose.yaml", compose); // back while db's and app's stops wait out their grace period

        var status = await Agent.WaitProjectReadyAsync(project, TimeSpan.FromSeconds(120));
        Assert.Contains(status.Events, e => e.Reason == "PruneAbandoned");
        Assert.Equal(dbId, (await DockerCli.InspectAsync(db, "{{.Id}}")).Trim()); // started again, not recreated
        Assert.Equal("exited 0", await DockerCli.InspectAsync(migrate, "{{.State.Status}} {{.State.ExitCode}}"));
        await StartOrder.AssertStartedAfterAsync(migrate, db);
        await StartOrder.AssertStartedAfterEndOfAsync(app, migrate);
    }
}
