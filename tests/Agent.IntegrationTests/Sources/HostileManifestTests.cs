using Agent.IntegrationTests.Infrastructure;
using Agent.Sources;
using Microsoft.Extensions.DependencyInjection;
using static Agent.IntegrationTests.Infrastructure.Manifest;

namespace Agent.IntegrationTests.Sources;

/// <summary>
/// A running agent beside files that used to crash it (30,000 nested brackets: a stack overflow at every start) or stop it
/// for every group (a NUL in a bind path): each is an error on its own file, and the good group converges.
/// </summary>
public sealed class HostileManifestTests : AgentScenario
{
    [Fact]
    public async Task Hostile_files_are_errors_on_their_own_files_and_the_other_groups_converge()
    {
        var good = Instance.Name("good");
        Agent.Write("good.yaml", Group(good, Sleeper("s")));
        Agent.Write("deep.yaml", new string('[', 30_000) + new string(']', 30_000));
        Agent.Write("bomb.yaml", "big: &big \"" + new string('x', 100_000) + "\"\nall: [" + string.Join(",", Enumerable.Repeat("*big", 5_000)) + "]\n");
        Agent.Write("nul.yaml", Group(Instance.Name("nul"), Sleeper("s", "      volumes: [\"/srv/a\\0b:/data\"]\n")));
        await File.WriteAllBytesAsync(Path.Combine(Agent.Manifests, "latin1.yaml"), [.. "apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: caf"u8, 0xE9, (byte)'\n']);

        await Agent.StartAsync();
        await Agent.WaitReadyAsync(good);
        await Containers.RunningAsync(Instance, good, 1);

        var errors = Agent.Services.GetRequiredService<ManifestStore>().Errors.Select(e => e.ToString()).ToList();
        Assert.Contains("deep.yaml:1:65: nested deeper than 64 levels (Agent:Limits:MaxDepth)", errors);
        Assert.Contains("bomb.yaml:2:207: the values of this file exceed 4194304 bytes once aliases are expanded (Agent:Limits:MaxExpandedBytes)", errors);
        Assert.Contains("nul.yaml:11:17: a value contains a NUL character (\\0), which no name, path or value may hold", errors);
        Assert.Contains("latin1.yaml:4:12: invalid UTF-8 (byte 0xE9 at offset 61): manifests must be UTF-8 text", errors);
        Assert.Empty(await DockerCli.ContainerIdsAsync(Instance.InstanceLabel, $"{Instance.Labels.Object}={Instance.Name("nul")}"));
    }
}
