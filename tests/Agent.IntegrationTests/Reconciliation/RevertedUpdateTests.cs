using System.Text.Json;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Reconciliation;

/// <summary>
/// probe-15n F9: a stop-first update left X stopped and X-next created but never started (a new container that cannot
/// start, or the agent killed half-way), then the manifest went back to X's spec. X, the container of the desired spec,
/// is kept with its writable layer and started again; the abandoned X-next is removed. The state is built with the
/// docker CLI while the agent is stopped, so it does not depend on how a failed start is handled.
/// </summary>
public sealed class RevertedUpdateTests : AgentScenario
{
    private static string Service() => Sleeper("web",
        "      healthcheck: { test: [\"CMD\", \"true\"], interval: 500ms, timeout: 1s, retries: 1 }\n" +
        "      update: { strategy: stop-first, rollbackOnFailure: true, healthTimeout: 10s }\n");

    [Fact]
    public async Task A_manifest_reverted_while_a_stop_first_update_is_stuck_keeps_and_starts_the_original_container()
    {
        var g = Instance.Name("revert");
        Agent.Write("g.yaml", Group(g, Service()));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(g);
        var x = $"{g}-web-1";
        var original = await DockerCli.InspectAsync(x, "{{.Id}}");
        await DockerCli.RunAsync("exec", x, "sh", "-c", "echo local-state > /tmp/state");
        await Agent.StopAsync();

        // What the interrupted update left: X stopped by it, X-next of another spec (agent.update-from = X's hash) never started.
        await DockerCli.RunAsync("stop", x);
        var labels = JsonSerializer.Deserialize<Dictionary<string, string>>(await DockerCli.InspectAsync(x, "{{json .Config.Labels}}"))!;
        var hashKey = labels.Keys.Single(k => k.EndsWith(".spec-hash", StringComparison.Ordinal));
        var desiredHash = labels[hashKey];
        labels[hashKey] = "0123456789abcdef";
        labels[hashKey.Replace(".spec-hash", ".update-from", StringComparison.Ordinal)] = desiredHash;
        await DockerCli.RunAsync(["create", "--name", x + "-next", "--user", "nosuchuser",
            .. labels.SelectMany(l => new[] { "--label", $"{l.Key}={l.Value}" }), TestEngine.Image, "sleep", "3600"]);

        await Agent.StartAsync(); // the manifest is X's spec: the update was reverted
        await Eventually.TrueAsync(async () => !await DockerCli.ExistsAsync("container", x + "-next")
                && await DockerCli.InspectAsync(original, "{{.State.Running}} {{.Name}}") == $"true /{x}",
            TimeSpan.FromSeconds(60), "the original container runs under its name and the abandoned -next is gone");
        Assert.Equal("local-state", await DockerCli.RunAsync("exec", x, "cat", "/tmp/state"));
        Assert.Equal([original], await DockerCli.ContainerIdsAsync(Instance.InstanceLabel));
    }
}
