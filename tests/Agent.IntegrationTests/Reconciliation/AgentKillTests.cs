using System.Diagnostics;
using Agent.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>
/// kill -9 of the real `agent run` process at random moments (seeded; the seed is printed, and AGENT_KILL_SEED replays
/// it) during a cold converge, a stop-first update, a start-first update, a rollback and a teardown of a 20-service
/// group. After each phase a fresh agent must converge it, checked through the docker CLI: one container per service
/// under its own name, running, of the right version, and nothing left over (no -next, no -prev, no duplicate).
/// Runs alone: it measures recovery, and 20 containers on 2 cores are enough load. It uses its own dockerd: a container
/// removal cut short can leave the engine a stale network endpoint (moby#42119) that only an engine restart clears, and
/// that must not stay behind in the engine everyone shares.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class AgentKillTests(ITestOutputHelper log) : IAsyncLifetime
{
    private const int Services = 20;
    private const int KillsPerPhase = 5;
    private readonly TestInstance instance = new();
    private readonly PrivateEngine engine = new();
    private readonly string manifests = Directory.CreateTempSubdirectory("agent-kill-manifests-").FullName;
    private readonly string stateDir = Directory.CreateTempSubdirectory("agent-kill-state-").FullName;
    private AgentProcess? agent;

    public async Task InitializeAsync()
    {
        await instance.InitializeAsync();
        await engine.StartAsync();
        await engine.LoadImageAsync(TestEngine.Image);
    }

    public async Task DisposeAsync()
    {
        if (agent is not null) await agent.DisposeAsync();
        await engine.DisposeAsync();
        await instance.DisposeAsync();
        Directory.Delete(manifests, recursive: true);
        Directory.Delete(stateDir, recursive: true);
    }

    private string GroupName => instance.Name("kill");

    /// <summary>20 services; each version is a new spec (env and a label), health-checked, stopped with SIGKILL.</summary>
    private string Manifest(int version, string update, bool healthy = true)
    {
        var services = string.Concat(Enumerable.Range(1, Services).Select(i => $$"""
                - name: s{{i:00}}
                  image: {{TestEngine.Image}}
                  command: ["sleep", "3600"]
                  stopSignal: SIGKILL
                  env: { VERSION: "{{version}}" }
                  labels: { kill-test.version: "{{version}}" }
                  healthcheck: { test: ["CMD", "{{(healthy ? "true" : "false")}}"], interval: 500ms, timeout: 5s, retries: 3 }
                  update: {{update}}

            """));
        return $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: {GroupName}\nspec:\n  services:\n{services}";
    }

    private sealed record Row(string Name, string State, string Version, string Role);

    private async Task<IReadOnlyList<Row>> RowsAsync()
    {
        var output = await CliAsync("ps", "-a", "--filter", $"label={instance.InstanceLabel}", "--format",
            "{{.Names}} {{.State}} {{.Label \"kill-test.version\"}} {{.Label \"agent.update-role\"}}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).Select(p => new Row(p[0], p[1], p[2], p.Length > 3 ? p[3] : ""))
            .OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
    }

    private static string Describe(IReadOnlyList<Row> rows) =>
        $"{rows.Count} containers, {rows.Count(r => r.State == "running")} running, {rows.Count(r => r.Name.EndsWith("-next", StringComparison.Ordinal))} -next, " +
        $"versions {string.Join("/", rows.GroupBy(r => r.Version).OrderBy(g => g.Key).Select(g => $"{g.Key}x{g.Count()}"))}";

    /// <summary>Exactly one running container per service, under its own name, of this version; nothing else.</summary>
    private bool Converged(IReadOnlyList<Row> rows, int version) =>
        rows.Count == Services
        && rows.Select(r => r.Name).SequenceEqual(Enumerable.Range(1, Services).Select(i => $"{GroupName}-s{i:00}-1"))
        && rows.All(r => r.State == "running" && r.Version == version.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private async Task<bool> NetworkExistsAsync() =>
        (await CliAsync("network", "ls", "-q", "--filter", $"label={instance.InstanceLabel}")).Length > 0;

    private async Task<string> CliAsync(params string[] args)
    {
        var (exit, stdout, stderr) = await engine.CliAsync(args);
        if (exit != 0) throw new InvalidOperationException($"docker {string.Join(' ', args)} exited {exit}: {stderr}");
        return stdout.Trim();
    }

    /// <summary>
    /// Starts the agent and kills it with SIGKILL a random while (up to <paramref name="window"/> ms) after it began to
    /// apply a plan (it logs every operation before running them). True when the kill left the group half-way: neither
    /// as before the phase nor as the phase wants it.
    /// </summary>
    private async Task<bool> KillDuringAsync(Random random, int window, string phase, int round, Func<IReadOnlyList<Row>, bool> settled)
    {
        var delay = random.Next(0, window);
        agent = AgentProcess.Start(instance.Id, manifests, stateDir, engine.Host);
        var clock = Stopwatch.StartNew();
        var applying = "nothing to apply within 20 s";
        try
        {
            await agent.WaitApplyingAsync(TimeSpan.FromSeconds(20));
            applying = $"applying {clock.Elapsed.TotalSeconds:0.0} s after the start";
        }
        catch (TimeoutException)
        {
            // The previous kill came after the last operation: this agent finds nothing to do.
        }
        await Task.Delay(delay);
        await agent.KillAsync();
        await agent.DisposeAsync();
        agent = null;
        var rows = await RowsAsync();
        var halfway = !settled(rows);
        log.WriteLine($"{phase} #{round}: {applying}, killed {delay} ms later: {Describe(rows)}{(halfway ? " (half-way)" : "")}");
        return halfway;
    }

    private async Task RecoverAsync(string phase, Func<IReadOnlyList<Row>, Task<bool>> done, TimeSpan within)
    {
        agent = AgentProcess.Start(instance.Id, manifests, stateDir, engine.Host);
        var clock = Stopwatch.StartNew();
        IReadOnlyList<Row> last = [];
        try
        {
            await agent.WaitReadyAsync(within);
            var deadline = clock.Elapsed + within;
            while (!await done(last = await RowsAsync()))
            {
                if (clock.Elapsed > deadline) throw new TimeoutException($"Not true within {within.TotalSeconds} s: {phase} recovered");
                await Task.Delay(500); // the docker CLI costs CPU too
            }
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\nlast seen: {Describe(last)}\n{string.Join("\n", last)}\nagent output:\n{agent.Output(60)}", e);
        }
        log.WriteLine($"{phase}: recovered in {clock.Elapsed.TotalSeconds:0.0} s after the restart: {Describe(last)}");
    }

    [Fact]
    public async Task Killed_at_random_moments_the_agent_finishes_or_rolls_back_every_change_after_a_restart()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("AGENT_KILL_SEED"), out var s) ? s : Random.Shared.Next();
        log.WriteLine($"seed {seed} (AGENT_KILL_SEED={seed} replays the kill times)");
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        var file = Path.Combine(manifests, "kill.yaml");
        var kills = 0;
        var halfway = 0;

        var phases = new (string Name, int Version, string Update, bool Healthy, int Expected)[]
        {
            ("cold converge", 1, "{ strategy: stop-first }", true, 1),
            ("stop-first update", 2, "{ strategy: stop-first, rollbackOnFailure: true, healthTimeout: 30s }", true, 2),
            ("start-first update", 3, "{ strategy: start-first, rollbackOnFailure: true, healthTimeout: 30s }", true, 3),
            ("rollback", 4, "{ strategy: stop-first, rollbackOnFailure: true, healthTimeout: 3s }", false, 3),
        };
        var before = 0;
        foreach (var phase in phases)
        {
            File.WriteAllText(file, Manifest(phase.Version, phase.Update, phase.Healthy));
            var previous = before;
            for (var round = 1; round <= KillsPerPhase; round++, kills++)
                if (await KillDuringAsync(random, 1500, phase.Name, round, rows => rows.Count == 0 && previous == 0 || Converged(rows, previous) || Converged(rows, phase.Expected)))
                    halfway++;

            // Recovery takes 10-60 s on a quiet machine (the output prints each); 180 s because the rollback phase tries the
            // failing update once more on all 20 services and took past 90 s on a machine loaded with other builds (CI).
            if (phase.Healthy)
            {
                await RecoverAsync(phase.Name, rows => Task.FromResult(Converged(rows, phase.Expected)), TimeSpan.FromSeconds(180));
            }
            else
            {
                // The restarted agent remembers nothing: it tries the update once more, sees it fail, rolls it back, holds it.
                await RecoverAsync(phase.Name, async rows => Converged(rows, phase.Expected)
                    && await agent!.GroupStatusAsync(GroupName) is { } status
                    && status.GetProperty("conditions").EnumerateArray().Any(c =>
                        c.GetProperty("type").GetString() == "Degraded" && c.GetProperty("reason").GetString() == "RolledBack"), TimeSpan.FromSeconds(180));
                await Task.Delay(2000);
                var rows = await RowsAsync();
                Assert.True(Converged(rows, phase.Expected), $"the rolled-back update was tried again: {Describe(rows)}");
            }
            await agent!.KillAsync();
            before = phase.Expected;
        }

        File.Delete(file);
        for (var round = 1; round <= KillsPerPhase; round++, kills++)
            if (await KillDuringAsync(random, 800, "teardown", round, rows => rows.Count == 0 || Converged(rows, before))) halfway++;
        await RecoverAsync("teardown", rows => Task.FromResult(rows.Count == 0), TimeSpan.FromSeconds(60));
        var networkGone = Stopwatch.StartNew();
        while (await NetworkExistsAsync() && networkGone.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(500);
        if (await NetworkExistsAsync())
        {
            // The engine's own bug: its network keeps an endpoint of a container that is gone (inspect lists none), and
            // refuses removal until it restarts. The agent keeps retrying with back-off; after the restart it succeeds.
            Assert.Equal("{}", await CliAsync("network", "inspect", "--format", "{{json .Containers}}", $"{GroupName}_default"));
            log.WriteLine("teardown: the engine kept a stale endpoint in the group's network (moby#42119): restarting the engine");
            await engine.TerminateAsync();
            await engine.StartAsync();
            await Eventually.TrueAsync(async () => !await NetworkExistsAsync(), TimeSpan.FromSeconds(60), "network removed by the agent after the engine restart");
        }

        log.WriteLine($"{kills} kills, {halfway} of them half-way through a change, in {clock.Elapsed.TotalSeconds:0} s");
        Assert.True(kills >= 20);
        Assert.True(halfway >= kills / 2, $"only {halfway} of {kills} kills interrupted a change: the kill times miss the work (seed {seed})");
    }
}
