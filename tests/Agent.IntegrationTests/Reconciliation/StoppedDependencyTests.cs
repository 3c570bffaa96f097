using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>probe-16 F2: a docker stop of a health-checked dependency is a user stop like any other (Ready=False
/// StoppedByUser, Degraded False, nothing retried), not a failed health wait retried with back-off for ever.</summary>
public sealed class StoppedDependencyTests : AgentScenario
{
    private const string ComposeHealth = "    healthcheck: { test: [\"CMD\", \"true\"], interval: 1s, retries: 3 }\n";

    /// <summary>For 20 s: Ready stays False/StoppedByUser, Degraded False, the dependency stays exited, the dependent keeps
    /// running as the same container, and no wait failed or reconcile was retried.</summary>
    private async Task StaysStoppedByUserAsync(ObjectKey key, string stopped, string dependent, string dependentId)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < until)
        {
            var status = Agent.Status.Get(key)!;
            Assert.Equal(("False", "StoppedByUser"), (status.Condition(ConditionTypes.Ready)!.Status, status.Condition(ConditionTypes.Ready)!.Reason));
            Assert.Equal("False", status.Condition(ConditionTypes.Degraded)!.Status);
            Assert.Equal("False", status.Condition(ConditionTypes.Progressing)!.Status);
            await Task.Delay(500);
        }
        Assert.Equal("exited", await DockerCli.InspectAsync(stopped, "{{.State.Status}}"));
        Assert.Equal($"running {dependentId}", await DockerCli.InspectAsync(dependent, "{{.State.Status}} {{.Id}}"));
        Assert.Equal(0, Agent.Logs.Count("WaitHealthy failed"));
        Assert.Equal(0, Agent.Logs.Count("failed, retrying"));
    }

    [Fact]
    public async Task Docker_stop_of_a_compose_service_healthy_dependency_is_a_user_stop_not_a_failed_apply_retried()
    {
        var project = Instance.Name("dep");
        Agent.Write($"{project}/compose.yaml", "services:\n" + Manifest.ComposeSleeper("db", ComposeHealth)
            + Manifest.ComposeSleeper("app", "    depends_on:\n      db: { condition: service_healthy }\n"));
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(project);
        var (db, app) = ($"{project}-db-1", $"{project}-app-1");
        var appId = await DockerCli.InspectAsync(app, "{{.Id}}");

        await DockerCli.RunAsync("stop", db);
        var key = new ObjectKey(ServiceGroup.ComposeKindName, project);
        var status = await Agent.WaitForConditionAsync(project, ConditionTypes.Ready, "False", "StoppedByUser", TimeSpan.FromSeconds(30), ServiceGroup.ComposeKindName);
        Assert.Contains($"Stopped by user: {db}", status.Condition(ConditionTypes.Ready)!.Message);
        Assert.Equal("Stopped by user", status.Services.Single(s => s.Name == "db").Containers.Single().Message);
        await StaysStoppedByUserAsync(key, db, app, appId);

        await DockerCli.RunAsync("start", db);
        await Agent.WaitProjectReadyAsync(project);
        Assert.Equal(appId, await DockerCli.InspectAsync(app, "{{.Id}}"));
    }

    [Fact]
    public async Task Docker_stop_of_a_servicegroup_dependency_with_condition_healthy_is_a_user_stop_not_a_failed_apply_retried()
    {
        var g = Instance.Name("depg");
        const string health = "      healthcheck: { test: [\"CMD\", \"true\"], interval: 1s, retries: 3 }\n";
        Agent.Write("g.yaml", Group(g, Sleeper("api", "      restart: unless-stopped\n" + health)
            + Sleeper("worker", "      dependsOn: [{ service: api, condition: healthy }]\n")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var (api, worker) = ($"{g}-api-1", $"{g}-worker-1");
        var workerId = await DockerCli.InspectAsync(worker, "{{.Id}}");

        await DockerCli.RunAsync("stop", api);
        var status = await Agent.WaitForConditionAsync(g, ConditionTypes.Ready, "False", "StoppedByUser", TimeSpan.FromSeconds(30));
        Assert.Contains($"Stopped by user: {api}", status.Condition(ConditionTypes.Ready)!.Message);
        await StaysStoppedByUserAsync(new ObjectKey(ServiceGroup.KindName, g), api, worker, workerId);

        await DockerCli.RunAsync("start", api);
        await Agent.WaitReadyAsync(g);
        Assert.Equal(workerId, await DockerCli.InspectAsync(worker, "{{.Id}}"));
    }

    [Fact]
    public async Task A_group_is_not_made_again_beside_a_dependency_group_stopped_through_the_api_and_is_once_that_runs_again()
    {
        // probe-29 F0 (HIGH): sdb stopped with `agent stop`, sapp (dependsOn: [sdb]) lost its replica: it was made again at
        // once and read Ready beside its stopped dependency (also while sdb's stop was still under way after a restart).
        var (sdb, sapp) = (Instance.Name("sdb"), Instance.Name("sapp"));
        Agent.Write("groups.yaml", Group(sdb, Sleeper("db")) + "---\n" + Group(sapp, Sleeper("app"), $"  dependsOn: [{sdb}]\n"));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(sapp);
        using var api = Agent.Client(Agent.GeneratedAdminToken);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, (await api.PostAsync($"/api/v1/servicegroups/{sdb}/stop", null)).StatusCode);
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, sdb)).All(c => c.State != "running"), TimeSpan.FromSeconds(60), "sdb stopped");

        await DockerCli.RunAsync("rm", "-f", $"{sapp}-app-1");
        var waiting = await Agent.WaitForConditionAsync(sapp, ConditionTypes.Ready, "False", "WaitingForDependencies", TimeSpan.FromSeconds(60));
        Assert.Contains($"{sdb} is stopped (`agent start servicegroup/{sdb}` runs it again)", waiting.Condition(ConditionTypes.Ready)!.Message);
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Empty(await Containers.OfAsync(Instance, sapp));

        Assert.Equal(System.Net.HttpStatusCode.Accepted, (await api.PostAsync($"/api/v1/servicegroups/{sdb}/start", null)).StatusCode);
        await Agent.WaitReadyAsync(sapp, TimeSpan.FromSeconds(90));
        await StartOrder.AssertStartedAfterAsync($"{sapp}-app-1", $"{sdb}-db-1");
    }
}
