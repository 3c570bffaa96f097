using System.Text.Json;
using Agent.Cli.Client;

namespace Agent.UnitTests.Cli;

/// <summary>probe-63 M3: a replica in a crash loop read "1/2 ReplicasNotReady" in `agent get`, and `describe` showed neither
/// its exit code nor how often it failed.</summary>
public sealed class CrashLoopViewTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-01T12:00:00Z");

    private const string Looping = """
        {"kind":"ServiceGroup","name":"crash","generation":1,"observedGeneration":1,
         "conditions":[{"type":"Ready","status":"False","reason":"ReplicasNotReady","message":"c 1/2 ready","lastTransitionTime":"2026-12-01T11:59:00Z"},
                       {"type":"Degraded","status":"True","reason":"CrashLoopBackOff","message":"crash-c-2: crash loop back-off, the engine is restarting it (last exit code 3)","lastTransitionTime":"2026-12-01T11:59:00Z"}],
         "services":[{"name":"c","desiredReplicas":2,"readyReplicas":1,"containers":[
            {"name":"crash-c-1","id":"c1","state":"running","health":"none","specHash":"x"},
            {"name":"crash-c-2","id":"c2","state":"restarting","health":"none","specHash":"x","message":"CrashLoopBackOff: the engine restarts it, last exit code 3, failed 12 times"}]}],
         "events":[{"time":"2026-12-01T11:59:10Z","type":"Warning","reason":"BackOff","message":"Back-off restarting failed container crash-c-2 (exit code 3)"}]}
        """;

    private const string Containers = """
        [{"name":"crash-c-1","service":"c","state":"running","health":"none","status":"Up 2 minutes","created":"2026-12-01T11:58:00Z","ports":[]},
         {"name":"crash-c-2","service":"c","state":"restarting","health":"none","status":"Restarting (3) 1 second ago","created":"2026-12-01T11:58:00Z","ports":[]}]
        """;

    [Fact]
    public void Get_says_CrashLoopBackOff_and_describe_gives_each_containers_exit_code_failures_and_the_warning()
    {
        using var o = JsonDocument.Parse(Looping);
        using var containers = JsonDocument.Parse(Containers);
        Assert.Equal("CrashLoopBackOff", ResourceViews.StatusOf(o.RootElement));

        var page = ResourceViews.Describe(o.RootElement, containers.RootElement.EnumerateArray(), Now);
        Assert.Contains("Status:       CrashLoopBackOff", page);
        var row = page.Split('\n').Single(l => l.TrimStart().StartsWith("crash-c-2", StringComparison.Ordinal));
        Assert.EndsWith("CrashLoopBackOff: the engine restarts it, last exit code 3, failed 12 times", row);
        Assert.EndsWith("Up 2 minutes", page.Split('\n').Single(l => l.TrimStart().StartsWith("crash-c-1 ", StringComparison.Ordinal)));
        Assert.Contains("Warning   BackOff", page);

        // Not ready for another reason while degraded by a crash loop elsewhere keeps its own reason.
        using var updating = JsonDocument.Parse(Looping.Replace("\"reason\":\"ReplicasNotReady\"", "\"reason\":\"Updating\""));
        Assert.Equal("Updating", ResourceViews.StatusOf(updating.RootElement));
    }
}
