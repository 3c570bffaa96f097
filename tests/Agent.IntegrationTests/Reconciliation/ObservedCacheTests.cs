using System.Globalization;
using Agent.Core.Model;
using Agent.Engine;
using Agent.IntegrationTests.Infrastructure;
using Agent.Reconciliation;
using Microsoft.Extensions.DependencyInjection;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>What `docker ps -a` shows of an instance, and what the agent's observed-state cache holds: one line per
/// container, "id name state health exit-code", sorted.</summary>
internal static class CacheViews
{
    public static async Task<string> EngineAsync(Func<string[], Task<string>> docker, string instanceLabel)
    {
        var lines = await docker(["ps", "-a", "--no-trunc", "--filter", $"label={instanceLabel}", "--format", "{{.ID}}\t{{.Names}}\t{{.State}}\t{{.Status}}"]);
        return string.Join("\n", lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            var f = line.Split('\t');
            var status = f[3];
            var health = status.Contains("(healthy)") ? "healthy" : status.Contains("(unhealthy)") ? "unhealthy" : status.Contains("(health: starting)") ? "starting" : "none";
            var exit = status.StartsWith("Exited (", StringComparison.Ordinal) ? status[8..status.IndexOf(')')] : "-";
            return $"{f[0]} {f[1]} {f[2]} {health} {exit}";
        }).Order(StringComparer.Ordinal));
    }

    public static string Cache(ObservedCache cache) => string.Join("\n", cache.Containers
        .Select(c => $"{c.Id} {c.Name} {c.State.ToString().ToLowerInvariant()} {(c.HealthUnknown ? "unknown" : c.Health.ToString().ToLowerInvariant())} {(c.State == ContainerState.Exited ? c.ExitCode?.ToString(CultureInfo.InvariantCulture) : "-")}")
        .Order(StringComparer.Ordinal));

    /// <summary>Polls until the cache (current, so read endpoints and plans use it) shows what the engine shows.</summary>
    public static async Task SameAsync(ObservedCache cache, Func<string[], Task<string>> docker, string instanceLabel, string after)
    {
        string engine = "", cached = "";
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                engine = await EngineAsync(docker, instanceLabel);
                cached = Cache(cache);
                return cache.IsCurrent && cached == engine && engine == await EngineAsync(docker, instanceLabel);
            }, TimeSpan.FromSeconds(60), $"the cache equals docker ps -a {after}");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\ncurrent: {cache.IsCurrent}\nengine:\n{engine}\ncache:\n{cached}", e);
        }
    }
}

/// <summary>The observed-state cache is kept by the events stream alone (the resync is an hour away): after a storm of
/// docker CLI changes to the agent's containers it equals what the engine lists.</summary>
public sealed class ObservedCacheTests() : AgentScenario(new Dictionary<string, string?> { ["Agent:ResyncInterval"] = "01:00:00" })
{
    private static Task<string> Docker(string[] args) => DockerCli.RunAsync(args);

    [Fact]
    public async Task Cache_equals_the_engine_after_a_storm_of_create_kill_rm_rename_and_health_events()
    {
        var g = Instance.Name("storm");
        Agent.Write("g.yaml", Group(g, Sleeper("a", "      replicas: 4\n") + Sleeper("h",
            "      healthcheck: { test: [\"CMD\", \"true\"], interval: 500ms, timeout: 2s, retries: 1 }\n")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var cache = Agent.Services.GetRequiredService<ObservedCache>();
        await CacheViews.SameAsync(cache, Docker, Instance.InstanceLabel, "after the first converge");
        var listings = cache.Listings;

        // The storm: kills (the agent restarts them), a forced remove (it recreates it), renames (the agent takes its
        // name back by making a new one), containers made by hand with this instance's labels (it leaves them), a pause.
        var label = new[] { "--label", $"{Instance.Labels.Managed}=true", "--label", Instance.InstanceLabel };
        var storm = new List<Task<string>>
        {
            Docker(["kill", $"{g}-a-1"]),
            Docker(["kill", $"{g}-a-2"]),
            Docker(["rm", "-f", $"{g}-a-3"]),
            Docker(["rename", $"{g}-a-4", Instance.Name("renamed")]),
            Docker(["create", .. label, "--name", Instance.Name("byhand-1"), TestEngine.Image, "sleep", "3600"]),
            Docker(["run", "-d", .. label, "--name", Instance.Name("byhand-2"), TestEngine.Image, "sh", "-c", "exit 3"]),
            Docker(["run", "-d", .. label, "--name", Instance.Name("byhand-3"), TestEngine.Image, "sleep", "3600"]),
        };
        await Task.WhenAll(storm);
        await Docker(["pause", Instance.Name("byhand-3")]);
        await Docker(["rm", "-f", Instance.Name("byhand-1")]);
        await Docker(["rename", Instance.Name("byhand-2"), Instance.Name("byhand-2b")]);

        await CacheViews.SameAsync(cache, Docker, Instance.InstanceLabel, "after the storm");
        Assert.Equal(listings, cache.Listings); // the events did it: no listing since
        Assert.Contains($"{Instance.Name("byhand-3")} paused", CacheViews.Cache(cache));
        Assert.Contains($"{Instance.Name("byhand-2b")} exited none 3", CacheViews.Cache(cache));
        Assert.Contains($"{g}-h-1 running healthy", CacheViews.Cache(cache));
        await Docker(["unpause", Instance.Name("byhand-3")]);
    }
}

/// <summary>The engine restarts under the agent (the events stream drops, events are lost meanwhile): the cache is listed
/// again and equals the engine, and plans from it heal what the restart stopped.</summary>
public sealed class ObservedCacheReconnectTests : PrivateEngineScenario
{
    [Fact]
    public async Task Cache_equals_the_engine_after_the_events_stream_drops_and_reconnects()
    {
        var g = Instance.Name("reconnect");
        Agent.Settings["Agent:ResyncInterval"] = "01:00:00";
        Agent.Write("g.yaml", Group(g, Sleeper("a", "      replicas: 2\n")));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var cache = Agent.Services.GetRequiredService<ObservedCache>();
        Task<string> Docker(string[] args) => Engine.CliAsync(args).ContinueWith(t => t.Result.Exit == 0 ? t.Result.Stdout.Trim() : throw new InvalidOperationException(t.Result.Stderr));
        await CacheViews.SameAsync(cache, Docker, Instance.InstanceLabel, "before the restart");

        await Engine.TerminateAsync();
        await Eventually.TrueAsync(() => Task.FromResult(!cache.IsCurrent), TimeSpan.FromSeconds(30), "the cache is not current while the engine is down");
        await Engine.StartAsync();
        await CacheViews.SameAsync(cache, Docker, Instance.InstanceLabel, "after the engine restarted");
        await Eventually.TrueAsync(async () => (await Docker(["ps", "-q", "--filter", $"label={Instance.InstanceLabel}"])).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 2,
            TimeSpan.FromSeconds(60), "both replicas running again");
        await CacheViews.SameAsync(cache, Docker, Instance.InstanceLabel, "after the agent healed them");
    }
}
