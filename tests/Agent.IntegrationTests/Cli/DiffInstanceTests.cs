using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Cli;

/// <summary>fix21b: `agent diff DIR` without --state-dir compares as the agent of the default state dir runs (its `running`
/// record, as with --state-dir), says on stderr which instance it compares as and why, and refuses to compare as a new
/// instance while other instances own objects on the engine (it compared as the default state dir's instance-id, or a new
/// id, and showed every object as created beside the running agent's).</summary>
public sealed class DiffInstanceTests : IAsyncLifetime
{
    private readonly TestInstance first = new(), second = new();
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("agent-it-diffinstance-");

    public async Task InitializeAsync()
    {
        await first.InitializeAsync();
        await second.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await first.DisposeAsync();
        await second.DisposeAsync();
        root.Delete(recursive: true);
    }

    private string Folder(string name) => Directory.CreateDirectory(Path.Combine(root.FullName, name)).FullName;

    private static Dictionary<string, string> Xdg(string folder, string? instance = null)
    {
        var environment = new Dictionary<string, string> { ["XDG_STATE_HOME"] = folder };
        if (instance is not null) environment["AGENT_Agent__Instance"] = instance;
        return environment;
    }

    [Fact]
    public async Task Diff_without_state_dir_compares_as_the_default_state_dirs_running_agent_and_refuses_a_new_instance_beside_others()
    {
        var (groupA, groupB) = (first.Name("g"), second.Name("g"));
        var folderA = Folder("a");
        var folderB = Folder("b");
        File.WriteAllText(Path.Combine(folderA, "g.yaml"), Group(groupA, Sleeper("s")));
        File.WriteAllText(Path.Combine(folderB, "g.yaml"), Group(groupB, Sleeper("s")));

        // Two instances' containers: the first applied once with a state dir of its own; the second run by `agent run --instance`
        // in the default state dir (XDG_STATE_HOME/agent), whose instance-id an earlier agent left as the first's.
        var applied = await AgentCli.RunAsync("apply", folderA, "--once", "--timeout", "120s", "--instance", first.Id, "--state-dir", Folder("state-a"));
        Assert.True(applied.Exit == 0, applied.Stdout + applied.Stderr);
        Assert.Contains($"Applying as instance {first.Id} (given with --instance).", applied.Stderr);
        var xdg = Folder("xdg");
        var defaultState = Folder("xdg/agent");
        File.WriteAllText(Path.Combine(defaultState, "instance-id"), first.Id + "\n");
        await using var agent = AgentProcess.Start(second.Id, folderB, defaultState);
        await agent.WaitReadyAsync(TimeSpan.FromSeconds(120));
        await agent.WaitForConditionAsync(groupB, "Ready", "True", within: TimeSpan.FromSeconds(120));
        Assert.NotEmpty(await DockerCli.ContainerIdsAsync(first.InstanceLabel, $"{first.Labels.Object}={groupA}")); // the oracle: both own containers
        Assert.NotEmpty(await DockerCli.ContainerIdsAsync(second.InstanceLabel, $"{second.Labels.Object}={groupB}"));

        var diff = await AgentCli.RunAsync(Xdg(xdg), "diff", folderB);
        Assert.True(diff.Exit == 0, $"exit {diff.Exit}\n{diff.Stdout}\n{diff.Stderr}"); // in sync with the running agent's containers
        Assert.Contains($"Comparing as instance {second.Id} (the instance the agent of state dir {defaultState} runs as: {Path.Combine(defaultState, "running")}).", diff.Stderr);
        Assert.Contains($"ServiceGroup/{groupB}: in sync", diff.Stdout);
        Assert.DoesNotContain(groupA, diff.Stdout);

        // AGENT_Agent__Instance still wins over the record.
        var asFirst = await AgentCli.RunAsync(Xdg(xdg, first.Id), "diff", folderA);
        Assert.True(asFirst.Exit == 0, $"exit {asFirst.Exit}\n{asFirst.Stdout}\n{asFirst.Stderr}");
        Assert.Contains($"Comparing as instance {first.Id} (from AGENT_Agent__Instance).", asFirst.Stderr);
        Assert.Contains($"ServiceGroup/{groupA}: in sync", asFirst.Stdout);

        // No agent ever ran with the default state dir: it would compare as a new instance beside the two that own containers.
        var empty = Folder("xdg-empty");
        var none = await AgentCli.RunAsync(Xdg(empty), "diff", folderB);
        Assert.True(none.Exit == 1, $"exit {none.Exit}\n{none.Stdout}\n{none.Stderr}");
        Assert.Contains($"error: diff would compare as a new instance (the state dir {Path.Combine(empty, "agent")} holds no instance-id), which owns nothing on this engine", none.Stderr);
        Assert.Contains("(--state-dir DIR) or its instance (--instance ID)", none.Stderr);
        Assert.DoesNotContain("ServiceGroup/", none.Stdout);
        Assert.Empty(Directory.EnumerateFileSystemEntries(empty)); // it only looks

        // --instance without a state dir compares as that instance.
        var given = await AgentCli.RunAsync(Xdg(empty), "diff", folderA, "--instance", first.Id);
        Assert.True(given.Exit == 0, $"exit {given.Exit}\n{given.Stdout}\n{given.Stderr}");
        Assert.Contains($"Comparing as instance {first.Id} (given with --instance).", given.Stderr);
    }
}
