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
      {"kind":"ServiceGroup","name":"core","source":"core.yaml:1:1","generation":3,"observedGeneration":3,
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
       "conditions":[{"type":"Suspended","status":"True","reason":"StoppedByUser","message":"agent stop","lastTransitionTime":"2026-11-28T12:00:00Z"},
                     {"type":"Ready","status":"True","reason":"Suspended","message":"","lastTransitionTime":"2026-11-28T12:00:00Z"}],
       "services":[],"events":[]},
      {"kind":"CronJob","name":"nightly","generation":1,"observedGeneration":1,
       "conditions":[{"type":"Ready","status":"True","reason":"Scheduled","message":"next run 2026-12-02T02:00:00Z","lastTransitionTime":"2026-12-01T06:30:00Z"}],
       "events":[{"time":"2026-12-01T02:00:01Z","type":"Normal","reason":"JobCreated","message":"nightly-29390520"}]}
    ]
    """;

    private const string ContainersJson = """
    [
      {"id":"0123456789abcdef0123","name":"core-api-1","kind":"ServiceGroup","group":"core","service":"api","image":"busybox:1.35","state":"running","health":"healthy","status":"Up 45 minutes (healthy)","created":"2026-12-01T11:15:00Z",
       "ports":[{"containerPort":8080,"protocol":"tcp","hostIp":"127.0.0.1","hostPort":49153},{"containerPort":9090,"protocol":"tcp"}]},
      {"id":"fedcba9876543210fedc","name":"core-worker-1","kind":"ServiceGroup","group":"core","service":"worker","image":"busybox:1.35","state":"running","health":"none","status":"Up 45 minutes","created":"2026-12-01T11:14:10Z","ports":[]},
      {"id":"aaaaaaaaaaaabbbbbbbb","name":"web-frontend-1","kind":"ServiceGroup","group":"web","service":"frontend","image":"busybox:1.35","state":"exited","health":"none","status":"Exited (1) 3 seconds ago","exitCode":1,"created":"2026-12-01T09:00:00Z",
       "ports":[{"containerPort":80,"protocol":"udp","hostIp":"::1","hostPort":8081}]}
    ]
    """;

    private static List<JsonElement> Parse(string json) => JsonDocument.Parse(json).RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    private static IEnumerable<JsonElement> Kind(string kind) => Parse(ObjectsJson).Where(o => o.GetProperty("kind").GetString() == kind);

    [Fact]
    public void Get_servicegroups() => Golden("get-servicegroups.txt", ResourceViews.Objects(Kind("ServiceGroup"), Now, wide: false, kindPrefix: false).Render());

    [Fact]
    public void Get_servicegroups_wide() => Golden("get-servicegroups-wide.txt", ResourceViews.Objects(Kind("ServiceGroup"), Now, wide: true, kindPrefix: false).Render());

    [Fact]
    public void Get_a_kind_without_services_shows_a_dash_for_ready() => Golden("get-cronjobs.txt", ResourceViews.Objects(Kind("CronJob"), Now, wide: false, kindPrefix: false).Render());

    [Fact]
    public void Get_containers_shows_ports() => Golden("get-containers.txt", ResourceViews.Containers(Parse(ContainersJson), Now, wide: false, kindPrefix: false).Render());

    [Fact]
    public void Get_containers_wide() => Golden("get-containers-wide.txt", ResourceViews.Containers(Parse(ContainersJson), Now, wide: true, kindPrefix: false).Render());

    [Fact]
    public void Get_all() => Golden("get-all.txt",
        ResourceViews.Objects(Parse(ObjectsJson), Now, false, kindPrefix: true).Render() + "\n" + ResourceViews.Containers(Parse(ContainersJson), Now, false, kindPrefix: true).Render());

    [Fact]
    public void Events() => Golden("events.txt", ResourceViews.Events(ResourceViews.EventsOf(Parse(ObjectsJson)), Now).Render());

    [Fact]
    public void Describe_servicegroup() => Golden("describe-servicegroup.txt",
        ResourceViews.Describe(Parse(ObjectsJson)[0], Parse(ContainersJson).Where(c => c.GetProperty("group").GetString() == "core"), Now));

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
