using System.Text.Json;
using Agent.Cli.Client;

namespace Agent.UnitTests.Cli;

/// <summary>probe-18 F4: `agent logs KIND/NAME` like kubectl logs job/x and docker compose logs.</summary>
public sealed class LogsTargetTests
{
    [Theory]
    [InlineData("web-1", LogsTargetKind.Container, "web-1", "")]
    [InlineData("container/web-1", LogsTargetKind.Container, "web-1", "")]
    [InlineData("job/migrate", LogsTargetKind.Job, "migrate", "Job")]
    [InlineData("jobs/migrate", LogsTargetKind.Job, "migrate", "Job")]
    [InlineData("cronjob/backup", LogsTargetKind.CronJob, "backup", "CronJob")]
    [InlineData("cj/backup", LogsTargetKind.CronJob, "backup", "CronJob")]
    [InlineData("servicegroup/web", LogsTargetKind.Group, "web", "ServiceGroup")]
    [InlineData("sg/web", LogsTargetKind.Group, "web", "ServiceGroup")]
    [InlineData("ComposeProject/shop", LogsTargetKind.Group, "shop", "ComposeProject")]
    [InlineData("cp/shop", LogsTargetKind.Group, "shop", "ComposeProject")]
    public void A_target_is_a_container_or_an_object_of_a_kind_with_logs(string typed, LogsTargetKind kind, string name, string objectKind)
    {
        var target = LogsTarget.Parse(typed);
        Assert.Equal((kind, name, objectKind), (target.Kind, target.Name, target.ObjectKind));
    }

    [Fact]
    public void A_kind_without_logs_is_refused_pointing_at_the_cli_not_the_api()
    {
        var e = Assert.Throws<AgentApiException>(() => LogsTarget.Parse("gitrepository/infra"));
        Assert.Contains("agent get containers", e.Message);
        Assert.Contains("job/ID, cronjob/NAME, servicegroup/NAME or composeproject/NAME", e.Message);
        Assert.DoesNotContain("%2F", e.Message);
        Assert.DoesNotContain("/api/", LogsCommand.NoContainer("not-ours"));
        Assert.Contains("No container \"not-ours\"", LogsCommand.NoContainer("not-ours"));
        Assert.Contains("agent get containers", LogsCommand.NoContainer("not-ours"));
    }

    [Fact]
    public void A_cronjobs_latest_run_is_its_newest_active_one_else_its_newest_ended_one()
    {
        static string? Latest(string json) => LogsCommand.LatestRunContainer(JsonDocument.Parse(json).RootElement);
        Assert.Equal("c-3", Latest("""
            {"active":[{"start":"2026-01-01T10:00:00Z","container":"c-2"},{"start":"2026-01-01T11:00:00Z","container":"c-3"}],
             "history":[{"start":"2026-01-01T12:00:00Z","container":"c-9"}]}
            """));
        Assert.Equal("c-1", Latest("""
            {"active":[],"history":[{"start":"2026-01-01T09:00:00Z","container":"c-0"},{"start":"2026-01-01T10:00:00Z","container":"c-1"}]}
            """));
        Assert.Equal("c-0", Latest("""
            {"active":[],"history":[{"start":"2026-01-01T10:00:00Z","container":null},{"start":"2026-01-01T09:00:00Z","container":"c-0"}]}
            """));
        Assert.Null(Latest("""{"active":[],"history":[]}"""));
    }

    [Fact]
    public void A_jobs_latest_run_is_removed_only_when_its_newest_run_says_so_and_none_is_active()
    {
        static bool Removed(string json) => LogsCommand.LatestRunRemoved(JsonDocument.Parse(json).RootElement);
        Assert.True(Removed("""{"active":[],"history":[{"id":"j-1","container":"c-1","removed":true}]}"""));
        Assert.False(Removed("""{"active":[],"history":[{"id":"j-1","container":"c-1"}]}"""));
        Assert.False(Removed("""{"active":[{"id":"j-2"}],"history":[{"id":"j-1","removed":true}]}"""));
        Assert.False(Removed("""{"active":[],"history":[]}"""));
    }

    [Fact]
    public void A_groups_containers_come_by_service_then_replica_and_lines_carry_the_padded_name()
    {
        static JsonElement C(string name, string service, int replica) => JsonDocument.Parse(
            "{\"name\":\"" + name + "\",\"kind\":\"ServiceGroup\",\"service\":\"" + service + "\",\"labels\":{\"agent.kind\":\"ServiceGroup\",\"agent.replica\":\"" + replica + "\"}}").RootElement;
        var all = new[] { C("g-web-10", "web", 10), C("g-web-2", "web", 2), C("g-db-1", "db", 1), C("g-web-1", "web", 1) };
        Assert.Equal(["g-db-1", "g-web-1", "g-web-2", "g-web-10"], LogsCommand.Containers(all, null));
        Assert.Equal(["g-db-1"], LogsCommand.Containers(all, "db"));
        Assert.Empty(LogsCommand.Containers(all, "cache"));
        Assert.Equal("g-db-1   | ready", LogsCommand.Prefixed("g-db-1", 8, "ready"));
        Assert.Equal("g-web-10 | GET /", LogsCommand.Prefixed("g-web-10", 8, "GET /"));
    }

    /// <summary>`agent logs job/ID` with a CronJob run's id said only "no Job \"ID\" (agent get jobs lists them)", dropping the
    /// agent's 404 that names the CronJob and where the run's output is: that answer is passed on. An id that is no Job and
    /// no run keeps the CLI's own words. A loopback server answers as the agent does.</summary>
    [Fact]
    public async Task A_cronjob_runs_id_given_as_a_job_is_answered_with_the_agents_pointer_to_its_output()
    {
        const string hint = "No Job \"tick-1765000000\": \"tick-1765000000\" is a run of CronJob/tick: its output is at GET /api/v1/containers/tick-1765000000-a/logs.";
        using var server = new LoopbackAgent(path => path switch
        {
            "/api/v1/cronjobs" => (200, "application/json", """[{"name":"tick","active":[],"history":[{"id":"tick-1765000000","container":"tick-1765000000-a"}]}]"""),
            "/api/v1/jobs/tick-1765000000" => (404, "application/problem+json", JsonSerializer.Serialize(new { status = 404, title = "Not Found", detail = hint })),
            _ => (404, "application/problem+json", """{"status":404,"title":"Not Found","detail":"Not here."}"""),
        });
        using var client = new AgentClient(server.Address, () => "token");

        var run = await Assert.ThrowsAsync<AgentApiException>(() => LogsCommand.LatestRunAsync(client, LogsTarget.Parse("job/tick-1765000000"), follow: false, CancellationToken.None));
        Assert.Equal(404, run.Status);
        Assert.Contains(hint, run.Message);
        var none = await Assert.ThrowsAsync<AgentApiException>(() => LogsCommand.LatestRunAsync(client, LogsTarget.Parse("job/nope"), follow: false, CancellationToken.None));
        Assert.Equal("no Job \"nope\" (agent get jobs lists them)", none.Message);
    }
}
