using System.Runtime.CompilerServices;
using System.Text.Json;
using Agent.Cli.Client;

namespace Agent.UnitTests.Cli;

/// <summary>The kubectl-like tables and describe page, compared with golden files (AGENT_UPDATE_GOLDEN=1 rewrites them).</summary>
public sealed class TableGoldenTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-01T12:00:00Z");

    private const string ObjectsJson = """
    [
      {"kind":"ServiceGroup","name":"core","source":"core.yaml:1:1","generation":3,"observedGeneration":3,"since":"2026-12-01T09:00:00Z",
       "conditions":[{"type":"Ready","status":"True","reason":"UpToDate","message":"generation 3 applied, all replicas ready","lastTransitionTime":"2026-12-01T11:15:00Z"},
                     {"type":"Progressing","status":"False","reason":"UpToDate","message":"","lastTransitionTime":"2026-12-01T11:15:00Z"}],
       "services":[{"name":"api","desiredReplicas":1,"readyReplicas":1,"containers":[{"name":"core-api-1","id":"a1","state":"running","health":"healthy","specHash":"x"}]},
                   {"name":"worker","desiredReplicas":2,"readyReplicas":2,"containers":[{"name":"core-worker-1","id":"w1","state":"running","health":"none","specHash":"y"},{"name":"core-worker-2","id":"w2","state":"running","health":"none","specHash":"y"}]}],
       "manifestErrors":[],
       "events":[{"time":"2026-12-01T11:14:58Z","type":"Normal","reason":"Applied","message":"3 change(s)"},{"time":"2026-12-01T11:59:30Z","type":"Warning","reason":"Healed","message":"core-api-1 restarted after it died"}],
       "lastReconcileTime":"2026-12-01T11:59:50Z"},
      {"kind":"ServiceGroup","name":"web","source":"web.yaml:1:1","generation":2,"observedGeneration":1,
       "conditions":[{"type":"Ready","status":"False","reason":"CrashLoopBackOff","message":"web-frontend-1 exited with 1, restarting in 40s","lastTransitionTime":"2026-12-01T11:57:00Z"},
                     {"type":"Suspended","status":"False","reason":"Active","message":"reconciling","lastTransitionTime":"2026-12-01T09:00:00Z"}],
       "services":[{"name":"frontend","desiredReplicas":2,"readyReplicas":1,"containers":[]}],
       "lastError":"web-frontend-1 exited with 1",
       "manifestErrors":["web.yaml:9:7: spec.services[0].image: required"],
       "events":[]},
      {"kind":"ServiceGroup","name":"batch","generation":1,"observedGeneration":1,
       "conditions":[{"type":"Suspended","status":"True","reason":"Stopped","message":"stopped through the API","lastTransitionTime":"2026-11-28T12:00:00Z"},
                     {"type":"Ready","status":"False","reason":"Stopped","message":"stopped: its containers are kept, stopped, until agent start servicegroup/batch","lastTransitionTime":"2026-11-28T12:00:00Z"}],
       "services":[],"events":[]},
      {"kind":"ComposeProject","name":"shop","generation":1,"observedGeneration":1,"since":"2026-11-30T12:00:00Z",
       "conditions":[{"type":"Suspended","status":"True","reason":"Down","message":"taken down through the API","lastTransitionTime":"2026-12-01T10:00:00Z"},
                     {"type":"Ready","status":"False","reason":"Down","message":"down: its containers and network are removed, its volumes kept, until agent up composeproject/shop","lastTransitionTime":"2026-12-01T10:00:00Z"}],
       "services":[{"name":"db","desiredReplicas":1,"readyReplicas":0,"containers":[]},{"name":"app","desiredReplicas":2,"readyReplicas":0,"containers":[]}],"events":[]},
      {"kind":"CronJob","name":"nightly","source":"jobs/nightly.yaml:1:1","generation":1,"observedGeneration":1,
       "conditions":[{"type":"Ready","status":"True","reason":"Scheduled","message":"next run at 2026-12-02T02:00:00Z","lastTransitionTime":"2026-12-01T06:30:00Z"},
                     {"type":"Suspended","status":"False","reason":"Scheduling","message":"","lastTransitionTime":"2026-11-20T06:30:00Z"}],
       "job":{"schedule":"0 2 * * *","timeZone":"Europe/Berlin","concurrencyPolicy":"Forbid","suspended":false,"phase":"Succeeded","active":0,"succeeded":3,"failed":0,
              "lastScheduleTime":"2026-12-01T02:00:00Z","lastSuccessfulTime":"2026-12-01T02:00:09Z","nextRunTime":"2026-12-02T02:00:00Z","since":"2026-11-20T06:30:00Z"},
       "events":[{"time":"2026-12-01T02:00:01Z","type":"Normal","reason":"Started","message":"run nightly-1764554400 attempt 1 started: container nightly-1764554400-1-3fa9c1"}]},
      {"kind":"CronJob","name":"tick","generation":2,"observedGeneration":2,
       "conditions":[{"type":"Ready","status":"False","reason":"Suspended","message":"suspended by api: no new runs; 1 active run(s) continue","lastTransitionTime":"2026-12-01T11:59:00Z"},
                     {"type":"Degraded","status":"True","reason":"BackoffLimitExceeded","message":"the latest finished run tick-1764590300 failed: exit code 3 (BackoffLimitExceeded), 3 attempts","lastTransitionTime":"2026-12-01T11:58:30Z"},
                     {"type":"Suspended","status":"True","reason":"Suspended","message":"suspended by api","lastTransitionTime":"2026-12-01T11:59:00Z"}],
       "job":{"schedule":"* * * * * *","timeZone":"UTC","concurrencyPolicy":"Allow","suspended":true,"phase":"Running","active":1,"succeeded":0,"failed":1,
              "lastScheduleTime":"2026-12-01T11:59:55Z","since":"2026-12-01T11:50:00Z"},
       "events":[]},
      {"kind":"Job","name":"migrate","source":"jobs/migrate.yaml:1:1","generation":1,"observedGeneration":1,
       "conditions":[{"type":"Ready","status":"True","reason":"Complete","message":"run migrate-m1764589000000 completed: exit code 0 (Completed), after 12.5s","lastTransitionTime":"2026-12-01T11:37:00Z"},
                     {"type":"Complete","status":"True","reason":"Completed","message":"exit code 0 (Completed), after 12.5s","lastTransitionTime":"2026-12-01T11:37:00Z"}],
       "job":{"phase":"Succeeded","active":0,"succeeded":1,"failed":0,"startTime":"2026-12-01T11:36:47Z","completionTime":"2026-12-01T11:37:00Z","durationSeconds":12.5,"exitCode":0,"reason":"Completed","since":"2026-12-01T11:36:47Z"},
       "events":[]},
      {"kind":"Job","name":"seed","source":"jobs/seed.yaml:1:1","generation":1,"observedGeneration":1,
       "conditions":[{"type":"Ready","status":"False","reason":"DeadlineExceeded","message":"run seed-m1764589700000 failed: exit code 137 (DeadlineExceeded), after 60s","lastTransitionTime":"2026-12-01T11:49:20Z"},
                     {"type":"Failed","status":"True","reason":"DeadlineExceeded","message":"exit code 137 (DeadlineExceeded), after 60s","lastTransitionTime":"2026-12-01T11:49:20Z"}],
       "job":{"phase":"Failed","active":0,"succeeded":0,"failed":1,"startTime":"2026-12-01T11:48:20Z","completionTime":"2026-12-01T11:49:20Z","durationSeconds":60,"exitCode":137,"reason":"DeadlineExceeded","since":"2026-12-01T11:48:20Z"},
       "events":[]}
    ]
    """;

    private const string ContainersJson = """
    [
      {"id":"0123456789abcdef0123","name":"core-api-1","kind":"ServiceGroup","group":"core","service":"api","image":"busybox:1.35","state":"running","health":"healthy","status":"Up","created":"2026-12-01T11:15:00Z",
       "ports":[{"containerPort":8080,"protocol":"tcp","hostIp":"127.0.0.1","hostPort":49153},{"containerPort":9090,"protocol":"tcp"}]},
      {"id":"fedcba9876543210fedc","name":"core-worker-1","kind":"ServiceGroup","group":"core","service":"worker","image":"busybox:1.35","state":"running","health":"none","status":"Up","created":"2026-12-01T11:14:10Z","ports":[]},
      {"id":"aaaaaaaaaaaabbbbbbbb","name":"web-frontend-1","kind":"ServiceGroup","group":"web","service":"frontend","image":"busybox:1.35","state":"exited","health":"none","status":"Exited (1)","exitCode":1,"created":"2026-12-01T09:00:00Z",
       "ports":[{"containerPort":80,"protocol":"udp","hostIp":"::1","hostPort":8081}]}
    ]
    """;

    private static List<JsonElement> Parse(string json) => JsonDocument.Parse(json).RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    private static IEnumerable<JsonElement> Kind(string kind) => Parse(ObjectsJson).Where(o => o.GetProperty("kind").GetString() == kind);

    [Fact]
    public void Get_servicegroups() => Golden("get-servicegroups.txt", ResourceViews.Objects(Kind("ServiceGroup"), Now, wide: false, kindPrefix: false).Render());

    [Fact]
    public void A_ready_group_whose_update_was_rolled_back_shows_it_beside_Ready()
    {
        var rolledBack = Parse("""
            [{"kind":"ServiceGroup","name":"web","generation":3,"observedGeneration":3,"since":"2026-12-01T11:00:00Z",
              "conditions":[{"type":"Ready","status":"True","reason":"ReplicasReady","message":"all replicas ready; not everything of generation 3 applies: ...","lastTransitionTime":"2026-12-01T11:59:00Z"},
                            {"type":"Degraded","status":"True","reason":"RolledBack","message":"web-web-1: the update to spec abc was rolled back","lastTransitionTime":"2026-12-01T11:59:00Z"}],
              "services":[{"name":"web","desiredReplicas":2,"readyReplicas":2,"containers":[]}]}]
            """);
        Assert.Equal("NAME   READY   STATUS             AGE\nweb    2/2     Ready,RolledBack   60m\n", ResourceViews.Objects(rolledBack, Now, wide: false, kindPrefix: false).Render());
        var wide = ResourceViews.Objects(rolledBack, Now, wide: true, kindPrefix: false).Rows.Single();
        Assert.Equal(("Ready,RolledBack", "web-web-1: the update to spec abc was rolled back"), (wide[2], wide[^1]));
        Assert.Contains("Status:       Ready,RolledBack\n", ResourceViews.Describe(rolledBack[0], [], Now));
    }

    [Fact]
    public void A_completed_one_shot_reads_Completed_alone_and_Ready_beside_services_that_serve()
    {
        // probe-26: a project whose db and app ran and whose migrate had completed read "2/3 Completed", as if it had finished.
        static JsonElement Project(string name, int ready, int desired) => Parse($$"""
            [{"kind":"ComposeProject","name":"{{name}}","generation":1,"observedGeneration":1,"since":"2026-12-01T11:00:00Z",
              "conditions":[{"type":"Ready","status":"True","reason":"Completed","message":"...","lastTransitionTime":"2026-12-01T11:59:00Z"}],
              "services":[{"name":"s","desiredReplicas":{{desired}},"readyReplicas":{{ready}},"containers":[]}]}]
            """)[0];
        Assert.Equal("NAME   READY   STATUS      AGE\nshop   2/3     Ready       60m\nonce   0/1     Completed   60m\n",
            ResourceViews.Objects([Project("shop", 2, 3), Project("once", 0, 1)], Now, wide: false, kindPrefix: false).Render());
    }

    [Fact]
    public void A_stopped_object_whose_container_still_runs_reads_Stopping()
    {
        // probe-26 F4: "1/1 Stopped" while the engine, frozen, had not stopped anything yet.
        static JsonElement Group(string state) => Parse($$"""
            [{"kind":"ServiceGroup","name":"g1","generation":1,"observedGeneration":1,"since":"2026-12-01T11:00:00Z",
              "conditions":[{"type":"Suspended","status":"True","reason":"Stopped","message":"stopped through the API","lastTransitionTime":"2026-12-01T11:59:00Z"},
                            {"type":"Ready","status":"False","reason":"Stopped","message":"stopped","lastTransitionTime":"2026-12-01T11:59:00Z"}],
              "services":[{"name":"s","desiredReplicas":1,"readyReplicas":0,"containers":[{"name":"g1-s-1","id":"a","state":"{{state}}"}]}]}]
            """)[0];
        Assert.Equal("Stopping", ResourceViews.StatusOf(Group("running")));
        Assert.Equal("Stopped", ResourceViews.StatusOf(Group("exited")));
    }

    [Fact]
    public void Objects_held_while_the_manifests_cannot_be_read_show_it_beside_their_status()
    {
        // probe-15l L2/L5: with the folder moved away every group said Ready; an emptied Job's file, Complete.
        var held = Parse("""
            [{"kind":"ServiceGroup","name":"db","generation":1,"observedGeneration":1,"since":"2026-12-01T11:00:00Z",
              "conditions":[{"type":"Ready","status":"True","reason":"ReplicasReady","message":"all replicas ready","lastTransitionTime":"2026-12-01T11:59:00Z"},
                            {"type":"Degraded","status":"True","reason":"SourceUnavailable","message":"manifests folder /m does not exist; the last good state is kept and nothing is pruned","lastTransitionTime":"2026-12-01T11:59:00Z"}],
              "services":[{"name":"db","desiredReplicas":1,"readyReplicas":1,"containers":[]}]},
             {"kind":"Job","name":"migrate","generation":1,"observedGeneration":1,
              "conditions":[{"type":"Ready","status":"False","reason":"ManifestUnreadable","message":"the manifest does not load; its last good version keeps running: jobs/migrate.yaml:1:1: file is empty","lastTransitionTime":"2026-12-01T11:59:00Z"},
                            {"type":"Degraded","status":"True","reason":"ManifestUnreadable","message":"jobs/migrate.yaml:1:1: file is empty","lastTransitionTime":"2026-12-01T11:59:00Z"}],
              "job":{"phase":"Succeeded","since":"2026-12-01T11:00:00Z","durationSeconds":3}}]
            """);
        Assert.Equal("NAME   READY   STATUS                    AGE\ndb     1/1     Ready,SourceUnavailable   60m\n",
            ResourceViews.Objects(held.Take(1), Now, wide: false, kindPrefix: false).Render());
        Assert.Equal("Complete,ManifestUnreadable", JobTables.Jobs(held.Skip(1), Now, wide: false, kindPrefix: false).Rows.Single()[1]);
        var failed = Parse("""
            [{"kind":"Job","name":"m","conditions":[{"type":"Ready","status":"False","reason":"BackoffLimitExceeded","message":"x","lastTransitionTime":"2026-12-01T11:59:00Z"}],
              "job":{"phase":"Failed","since":"2026-12-01T11:00:00Z"}}]
            """);
        Assert.Equal("Failed", JobTables.Jobs(failed, Now, wide: false, kindPrefix: false).Rows.Single()[1]); // its own failure: as before
    }

    [Fact]
    public void CronJobs_and_Jobs_held_while_the_folder_cannot_be_read_or_by_the_guard_say_so_in_get()
    {
        // probe-16 F6/F2: a CronJob or Job held since the agent started (spec unknown) or kept at its last spec.
        var held = Parse("""
            [{"kind":"CronJob","name":"tick","conditions":[{"type":"Ready","status":"False","reason":"SourceUnavailable","message":"held","lastTransitionTime":"2026-12-01T11:59:00Z"},
                {"type":"Degraded","status":"True","reason":"SourceUnavailable","message":"manifests folder /m does not exist","lastTransitionTime":"2026-12-01T11:59:00Z"}],
              "job":{"since":"2026-12-01T11:00:00Z","active":0}},
             {"kind":"CronJob","name":"kept","conditions":[{"type":"Ready","status":"True","reason":"Scheduled","message":"next","lastTransitionTime":"2026-12-01T11:59:00Z"},
                {"type":"PruneBlocked","status":"True","reason":"PruneBlocked","message":"held","lastTransitionTime":"2026-12-01T11:59:00Z"}],
              "job":{"schedule":"*/2 * * * * *","since":"2026-12-01T11:00:00Z","active":0}},
             {"kind":"Job","name":"migrate","conditions":[{"type":"Ready","status":"True","reason":"Complete","message":"x","lastTransitionTime":"2026-12-01T11:59:00Z"},
                {"type":"Degraded","status":"True","reason":"SourceUnavailable","message":"manifests folder /m does not exist","lastTransitionTime":"2026-12-01T11:59:00Z"}],
              "job":{"phase":"Succeeded","since":"2026-12-01T11:00:00Z"}},
             {"kind":"ServiceGroup","name":"db","conditions":[{"type":"Degraded","status":"True","reason":"SourceUnavailable","message":"m","lastTransitionTime":"2026-12-01T11:59:00Z"}]}]
            """);
        var table = JobTables.CronJobs(held.Take(2), Now, wide: false, kindPrefix: false);
        Assert.Equal(["tick", "<unknown>", "<none>", "False", "0", "<none>", "60m", "SourceUnavailable"], table.Rows[0]);
        Assert.Equal("PruneBlocked", table.Rows[1][^1]);
        Assert.Equal("Complete,SourceUnavailable", JobTables.Jobs(held.Skip(2).Take(1), Now, wide: false, kindPrefix: false).Rows.Single()[1]);
        Assert.Equal("SourceUnavailable", ResourceViews.StatusOf(held[3])); // no Ready of its own yet: the hold's reason, not Unknown
        // Not Ready (its one-shot exited 1) while the folder cannot be read: both (probe-34: "0/1 Exited", no mark).
        var exited = Parse("""
            [{"kind":"ComposeProject","name":"interp","conditions":[{"type":"Ready","status":"False","reason":"Exited","message":"x","lastTransitionTime":"2026-12-01T11:59:00Z"},
                {"type":"Degraded","status":"True","reason":"SourceUnavailable","message":"manifests folder /m does not exist","lastTransitionTime":"2026-12-01T11:59:00Z"}]}]
            """);
        Assert.Equal("Exited,SourceUnavailable", ResourceViews.StatusOf(exited[0]));
        // Nothing held: kubectl's columns, no STATUS.
        Assert.Equal(7, JobTables.CronJobs(Kind("CronJob"), Now, wide: false, kindPrefix: false).Rows[0].Length);
    }

    [Fact]
    public void CronJobs_cut_off_from_the_engine_say_so_in_get_without_wide()
    {
        // probe-24: during an engine freeze only -o wide and describe said EngineUnavailable.
        var frozen = Parse("""
            [{"kind":"CronJob","name":"tick","conditions":[{"type":"Ready","status":"False","reason":"EngineUnavailable","message":"the Docker engine does not answer","lastTransitionTime":"2026-12-01T11:59:00Z"},
                {"type":"Progressing","status":"True","reason":"Retrying","message":"retrying with back-off","lastTransitionTime":"2026-12-01T11:59:00Z"},
                {"type":"Degraded","status":"True","reason":"EngineUnavailable","message":"the Docker engine does not answer","lastTransitionTime":"2026-12-01T11:59:00Z"}],
              "job":{"schedule":"*/2 * * * * *","timeZone":"UTC","since":"2026-12-01T11:00:00Z","active":1}},
             {"kind":"CronJob","name":"nightly","conditions":[{"type":"Ready","status":"True","reason":"Scheduled","message":"next","lastTransitionTime":"2026-12-01T11:59:00Z"}],
              "job":{"schedule":"0 3 * * *","timeZone":"UTC","since":"2026-12-01T11:00:00Z","active":0}}]
            """);
        var table = JobTables.CronJobs(frozen, Now, wide: false, kindPrefix: false);
        Assert.Equal("STATUS", table.Headers[^1]);
        Assert.Equal(["EngineUnavailable", "Ready"], table.Rows.Select(r => r[^1]));
        Assert.Equal("STATUS", JobTables.KindTables(frozen, Now, wide: false, kindPrefix: true).Single(t => t.Rows.Count == 2).Headers[^1]);
    }

    [Fact]
    public void Get_servicegroups_wide() => Golden("get-servicegroups-wide.txt", ResourceViews.Objects(Kind("ServiceGroup"), Now, wide: true, kindPrefix: false).Render());

    [Fact]
    public void Get_cronjobs_shows_kubectls_columns() => Golden("get-cronjobs.txt", JobTables.CronJobs(Kind("CronJob"), Now, wide: false, kindPrefix: false).Render());

    [Fact]
    public void Get_cronjobs_wide() => Golden("get-cronjobs-wide.txt", JobTables.CronJobs(Kind("CronJob"), Now, wide: true, kindPrefix: false).Render());

    [Fact]
    public void Get_jobs_shows_kubectls_columns() => Golden("get-jobs.txt", JobTables.Jobs(Kind("Job"), Now, wide: false, kindPrefix: false).Render()
        + "\n" + JobTables.Jobs(Kind("Job"), Now, wide: true, kindPrefix: false).Render());

    [Fact]
    public void Describe_cronjob_shows_its_schedule_and_runs() => Golden("describe-cronjob.txt", ResourceViews.Describe(Kind("CronJob").First(), [], Now,
        JsonDocument.Parse("""
        {"active":[],"history":[
          {"id":"nightly-1764554400","trigger":"schedule","scheduledTime":"2026-12-01T02:00:00Z","start":"2026-12-01T02:00:00.2Z","end":"2026-12-01T02:00:09Z","durationSeconds":8.8,"phase":"Succeeded","reason":"Completed","exitCode":0,"attempts":1,"container":"nightly-1764554400-1-3fa9c1"},
          {"id":"nightly-1764468000","trigger":"schedule","scheduledTime":"2026-11-30T02:00:00Z","start":"2026-11-30T02:00:00.1Z","end":"2026-11-30T02:00:40Z","durationSeconds":39.9,"phase":"Failed","reason":"Replaced","exitCode":137,"attempts":1,"container":"nightly-1764468000-1-0b12aa"}]}
        """).RootElement));

    [Fact]
    public void Describe_a_job_whose_run_ttl_after_finished_removed_counts_and_lists_that_run_as_removed()
    {
        // probe-19 A: "Runs Kept: 0 succeeded / 1 failed" beside "Runs: <none>".
        var job = Parse("""
            [{"kind":"Job","name":"m","conditions":[],"job":{"phase":"Failed","since":"2026-12-01T11:00:00Z","succeeded":0,"failed":1,"exitCode":3}}]
            """)[0];
        var text = ResourceViews.Describe(job, [], Now, JsonDocument.Parse("""
            {"active":[],"history":[{"id":"m-1","trigger":"api","start":"2026-12-01T11:58:00Z","end":"2026-12-01T11:58:02Z","durationSeconds":2,
              "phase":"Failed","reason":"BackoffLimitExceeded","exitCode":3,"attempts":1,"container":"m-1-1-abc","removed":true}]}
            """).RootElement);
        Assert.Contains("Runs Kept:          0 succeeded / 0 failed\n", text);
        Assert.Contains("Runs Removed:       m-1 (failed) after ttlAfterFinished\n", text);
        Assert.DoesNotContain("Runs: <none>", text);
        Assert.Contains("m-1-1-abc (removed after ttlAfterFinished)", text);
    }

    [Fact]
    public void Get_containers_shows_ports() => Golden("get-containers.txt", ResourceViews.Containers(Parse(ContainersJson), Now, wide: false, kindPrefix: false).Render());

    [Fact]
    public void Get_containers_wide() => Golden("get-containers-wide.txt", ResourceViews.Containers(Parse(ContainersJson), Now, wide: true, kindPrefix: false).Render());

    [Fact]
    public void Get_all() => Golden("get-all.txt", string.Join("\n",
        JobTables.KindTables(Parse(ObjectsJson), Now, false, kindPrefix: true).Select(t => t.Render()).Append(ResourceViews.Containers(Parse(ContainersJson), Now, false, kindPrefix: true).Render())));

    [Fact]
    public void Events() => Golden("events.txt", ResourceViews.Events(ResourceViews.EventsOf(Parse(ObjectsJson)), Now).Render());

    [Fact]
    public void Describe_servicegroup() => Golden("describe-servicegroup.txt",
        ResourceViews.Describe(Parse(ObjectsJson)[0], Parse(ContainersJson).Where(c => c.GetProperty("group").GetString() == "core"), Now));

    [Fact]
    public void Describe_a_down_project_says_Down_and_why_in_its_conditions() => Golden("describe-down.txt",
        ResourceViews.Describe(Parse(ObjectsJson).Single(o => o.GetProperty("name").GetString() == "shop"), [], Now));

    [Fact]
    public void Describe_a_failing_servicegroup_shows_its_errors() => Golden("describe-failing.txt", ResourceViews.Describe(Parse(ObjectsJson)[1], [], Now));

    [Theory]
    [InlineData(45, "45s")]
    [InlineData(119, "119s")]
    [InlineData(200, "3m20s")]
    [InlineData(1500, "25m")]
    [InlineData(5 * 3600 + 600, "5h10m")]
    [InlineData(20 * 3600, "20h")]
    [InlineData(3 * 86400 + 4 * 3600, "3d4h")]
    [InlineData(12 * 86400, "12d")]
    public void Ages_read_like_kubectl(int seconds, string expected) => Assert.Equal(expected, Ages.Format(TimeSpan.FromSeconds(seconds)));

    private static void Golden(string name, string actual, [CallerFilePath] string source = "")
    {
        var file = Path.Combine(Path.GetDirectoryName(source)!, "Golden", name);
        if (Environment.GetEnvironmentVariable("AGENT_UPDATE_GOLDEN") == "1") File.WriteAllText(file, actual);
        Assert.True(File.Exists(file), $"golden file {file} is missing: run with AGENT_UPDATE_GOLDEN=1 once and review it");
        Assert.Equal(File.ReadAllText(file), actual);
    }
}
