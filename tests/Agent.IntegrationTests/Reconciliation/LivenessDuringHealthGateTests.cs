using System.Diagnostics;
using System.Net;
using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>A health gate longer than Agent:LivenessStall is a wait the agent chose, not a stuck loop: /livez stays 200 (probe-15i H6).</summary>
public sealed class LivenessDuringHealthGateTests : AgentScenario
{
    private static string Service(string healthTest, string version) => Web("web",
        $"      env: {{ VERSION: \"{version}\" }}\n" +
        $"      healthcheck: {{ test: {healthTest}, interval: 500ms, timeout: 5s, retries: 3 }}\n" +
        "      update: { strategy: start-first, rollbackOnFailure: true, healthTimeout: 30s }\n");

    [Fact]
    public async Task Livez_stays_ok_while_an_update_waits_on_a_health_gate_longer_than_the_stall_limit()
    {
        // 8 s: longer than one engine call (the next container's start) takes on a loaded machine (4 s was not, in CI),
        // and the 16 s watched fit inside the 30 s gate.
        var stallLimit = TimeSpan.FromSeconds(8);
        Agent.Settings["Agent:LivenessStall"] = "00:00:08";
        var g = Instance.Name("livegate");
        Agent.Write("g.yaml", Group(g, Service("[\"CMD\", \"wget\", \"-qO-\", \"http://127.0.0.1:8080/\"]", "1")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);

        Agent.Write("g.yaml", Group(g, Service("[\"CMD\", \"false\"]", "2")));
        // Watched from when the new container runs, so the gate's step (bounded by healthTimeout) has begun: its create
        // and start are engine calls without a bound, which a loaded machine can make take longer than the stall limit
        // (CI: 8.2 s, the poll that began as the -next container was created).
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, g)).Any(c => c.Name.EndsWith("-next", StringComparison.Ordinal) && c.State == "running"),
            TimeSpan.FromSeconds(30), "the new container runs and waits on the health gate");
        await Task.Delay(TimeSpan.FromSeconds(1));

        using var client = Agent.Client();
        await AssertLivezStaysOkAsync(client, stallLimit * 2, stallLimit, "the gate");
        Assert.Contains(await Containers.OfAsync(Instance, g), c => c.Name.EndsWith("-next", StringComparison.Ordinal)); // still inside the gate
        // While generation 2 is applied the old replica serves: Ready, but not UpToDate (probe-15i L6); observedGeneration lags.
        var updating = Agent.Status.Get(new ObjectKey(ServiceGroup.KindName, g))!;
        var ready = updating.Condition(ConditionTypes.Ready)!;
        Assert.Equal(("True", GroupConditions.Updating), (ready.Status, ready.Reason));
        Assert.Equal(updating.ObservedGeneration + 1, updating.Generation);
        Assert.Contains($"generation {updating.Generation}", ready.Message); // "1/1 replicas serving, updating: 0 of 1 replicas on generation 2"

        await Agent.WaitForConditionAsync(g, ConditionTypes.Degraded, "True", "RolledBack", TimeSpan.FromSeconds(90));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/livez")).StatusCode);
    }

    [Fact]
    public async Task Livez_stays_ok_through_a_quiet_build_longer_than_the_stall_limit_and_a_build_past_ImageTimeout_is_cancelled()
    {
        var stallLimit = TimeSpan.FromSeconds(2);
        Agent.Settings["Agent:LivenessStall"] = "00:00:02";
        Agent.Settings["Agent:ImageTimeout"] = "20s";
        var (quiet, endless) = (Instance.Name("quietbuild"), Instance.Name("endlessbuild"));
        // A RUN that prints nothing for longer than the stall limit; the other outlives ImageTimeout (its command names the
        // instance, so its build container can be found without a label).
        Agent.Write("quiet/Dockerfile", "FROM busybox:1.35\nRUN sleep 10\nCMD [\"sleep\", \"3600\"]\n");
        Agent.Write("endless/Dockerfile", $"FROM busybox:1.35\nRUN sleep 300 # {Instance.Id}\nCMD [\"sleep\", \"3600\"]\n");
        Agent.Write("q.yaml", Group(quiet, "    - name: app\n      build: ./quiet\n      stopSignal: SIGKILL\n"));
        Agent.Write("e.yaml", Group(endless, "    - name: app\n      build: ./endless\n      stopSignal: SIGKILL\n"));
        await Agent.StartAsync();

        using var client = Agent.Client();
        await AssertLivezStaysOkAsync(client, stallLimit * 3, stallLimit, "the builds");
        Assert.False(Agent.Status.Get(new ObjectKey(ServiceGroup.KindName, quiet))?.IsReady == true, "the quiet build was still running while /livez was polled");

        await Agent.WaitReadyAsync(quiet, TimeSpan.FromSeconds(120));
        Assert.Equal("running", await DockerCli.InspectAsync($"{quiet}-app-1", "{{.State.Status}}"));
        var failed = await Agent.WaitForConditionAsync(endless, ConditionTypes.Degraded, "True", "ApplyFailed", TimeSpan.FromSeconds(120));
        Assert.Contains($"build of {endless}-app did not finish within 20s (Agent:ImageTimeout): cancelled", failed.Condition(ConditionTypes.Degraded)!.Message);
        // Cancelled in the engine too: the build's container is gone (the classic builder ends a build whose client left).
        await Eventually.TrueAsync(async () => !(await DockerCli.RunAsync("ps", "-a", "--no-trunc", "--format", "{{.Command}}")).Contains(Instance.Id),
            TimeSpan.FromSeconds(60), "the cancelled build's container removed");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/livez")).StatusCode);
    }

    /// <summary>Polls /livez for <paramref name="watchFor"/>: every answer is 200, and the last poll came after
    /// <paramref name="stallLimit"/> however slow each poll was.</summary>
    private static async Task AssertLivezStaysOkAsync(HttpClient client, TimeSpan watchFor, TimeSpan stallLimit, string during)
    {
        var watched = Stopwatch.StartNew();
        var lastPoll = TimeSpan.Zero;
        // Until watchFor and a poll past the stall limit: on a loaded machine one answer can take all of watchFor (CI, session 61).
        while (watched.Elapsed < watchFor || (lastPoll <= stallLimit && watched.Elapsed < TimeSpan.FromSeconds(60)))
        {
            lastPoll = watched.Elapsed;
            using var livez = await client.GetAsync("/livez?verbose");
            Assert.True(livez.StatusCode == HttpStatusCode.OK, $"after {watched.Elapsed.TotalSeconds:0.0}s of {during}: {await livez.Content.ReadAsStringAsync()}");
            await Task.Delay(200); // poll interval
        }
        Assert.True(lastPoll > stallLimit, $"/livez was last asked {lastPoll.TotalSeconds:0.0}s into {during}, not past the stall limit");
    }
}
