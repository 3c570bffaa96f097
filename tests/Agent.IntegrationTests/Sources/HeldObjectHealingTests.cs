using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Sources;

/// <summary>An object whose manifest cannot be read keeps its last good spec, and that spec keeps being enforced: a replica
/// removed meanwhile is created again, nothing that runs is changed (probe-19 F1: it stayed gone until the file was fixed,
/// and with the folder away the apply stopped and was planned again in a loop, 150-200 log lines a second).</summary>
public sealed class HeldObjectHealingTests : SourceScenario
{
    [Fact]
    public async Task A_replica_removed_while_its_manifest_is_broken_is_created_again_at_its_last_good_spec()
    {
        var held = Instance.Name("heal-broken");
        var other = Instance.Name("heal-other");
        Agent.Write("held.yaml", Sleepy(held));
        Agent.Write("other.yaml", Sleepy(other));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(held);
        await Agent.WaitReadyAsync(other);
        var otherBefore = await SnapshotAsync(other);

        // A new version that does not parse: nothing of it is applied.
        Agent.Write("held.yaml", Sleepy(held, 1) + "  broken: [unclosed\n");
        await WaitHeldAsync(held, "InvalidManifest");
        await RemoveAndWaitForItAgainAsync(held);
        Assert.Contains("\"3600\"", await CommandAsync(held)); // the last good spec, not the broken one's
        await WaitHeldAsync(held, "InvalidManifest"); // still held and saying why
        Assert.Equal(otherBefore, await SnapshotAsync(other));
        await Agent.Logs.WaitForAsync(TimeSpan.FromSeconds(30), "the manifest does not load; bringing back what its last good spec runs");

        Agent.Write("held.yaml", Sleepy(held, 1)); // fixed: the new version is applied
        await WaitForCommandAsync(held, 1);
    }

    [Fact]
    public async Task A_replica_removed_while_the_folder_is_away_is_created_again_without_a_loop_of_stopped_applies()
    {
        var held = Instance.Name("heal-away");
        Agent.Write("held.yaml", Sleepy(held));
        await Agent.StartAsync();
        await Agent.WaitReadyAsync(held);

        var away = Agent.Manifests + "-away";
        Directory.Move(Agent.Manifests, away);
        try
        {
            await WaitHeldAsync(held, "SourceUnavailable");
            await RemoveAndWaitForItAgainAsync(held);
            await Task.Delay(TimeSpan.FromSeconds(5)); // a loop would log hundreds of lines meanwhile
            Assert.True(Agent.Logs.Count("the apply stopped") <= 2, $"the apply stopped and was planned again {Agent.Logs.Count("the apply stopped")} times");
            await WaitHeldAsync(held, "SourceUnavailable");
        }
        finally
        {
            if (!Directory.Exists(Agent.Manifests)) Directory.Move(away, Agent.Manifests);
        }
        await Agent.WaitReadyAsync(held);
    }

    /// <summary>Removes the group's replica with the docker CLI and waits until a new container of that name runs.</summary>
    private static async Task RemoveAndWaitForItAgainAsync(string group)
    {
        var removed = (await DockerCli.InspectAsync($"{group}-s-1", "{{.Id}}")).Trim();
        await DockerCli.RunAsync("rm", "-f", $"{group}-s-1");
        await Eventually.TrueAsync(async () =>
        {
            var (exit, stdout, _) = await DockerCli.TryRunAsync("inspect", "--format", "{{.Id}} {{.State.Running}}", $"{group}-s-1");
            return exit == 0 && !stdout.StartsWith(removed, StringComparison.Ordinal) && stdout.Trim().EndsWith("true", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(90), "the removed replica runs again");
    }
}
