using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Sources.Git;

/// <summary>Fleet placement: two agents with different host labels on one repository apply different manifests and
/// report the other's as NotSelected (issue 13).</summary>
public sealed class GitPlacementTests() : GitScenario(new Dictionary<string, string?> { ["Agent:HostLabels:role"] = "edge" })
{
    private static string Placed(string group, string role) =>
        Sleepy(group).Replace("spec:\n", $"spec:\n  placement:\n    hostSelector:\n      matchLabels: {{ role: {role} }}\n");

    [Fact]
    public async Task Two_agents_with_different_host_labels_on_one_repository_apply_different_manifests()
    {
        await using var coreInstance = new TestInstanceScope();
        await coreInstance.Instance.InitializeAsync();
        var edge = Instance.Name("place-edge");
        var core = coreInstance.Instance.Name("place-core");
        Repo.Write("edge.yaml", Placed(edge, "edge")).Write("core.yaml", Placed(core, "core"));
        var first = Repo.CommitAndPush("edge and core");

        Agent.Write("fleet.yaml", GitRepositoryManifest("fleet", Repo.FileUrl));
        await using var coreAgent = new AgentHarness(coreInstance.Instance, new Dictionary<string, string?>
        {
            ["Agent:HostLabels:role"] = "core", ["Agent:ResyncInterval"] = "00:00:02",
        });
        coreAgent.Write("fleet.yaml", GitRepositoryManifest("fleet", Repo.FileUrl));
        await Agent.StartAsync();
        await coreAgent.StartAsync();

        await Agent.WaitReadyAsync(edge);
        await coreAgent.WaitReadyAsync(core);
        var notHere = await Agent.WaitForConditionAsync(core, ConditionTypes.Ready, "False", "NotSelected");
        Assert.Contains("role=core", notHere.Condition(ConditionTypes.Ready)!.Message);
        Assert.Contains("role=edge", notHere.Condition(ConditionTypes.Ready)!.Message);
        await coreAgent.WaitForConditionAsync(edge, ConditionTypes.Ready, "False", "NotSelected");
        Assert.Single(await Containers.OfAsync(Instance, edge));
        Assert.Empty(await Containers.OfAsync(Instance, core));
        Assert.Single(await Containers.OfAsync(coreInstance.Instance, core));
        Assert.Empty(await Containers.OfAsync(coreInstance.Instance, edge));

        // Moving the group to the other role moves it: pruned here, created there.
        Repo.Write("edge.yaml", Placed(edge, "core"));
        Repo.CommitAndPush("edge now runs on core hosts");
        await Eventually.TrueAsync(async () => (await Containers.OfAsync(Instance, edge)).Count == 0, TimeSpan.FromSeconds(60), "edge pruned from the edge host");
        await coreAgent.WaitReadyAsync(edge);
        await Agent.WaitForConditionAsync(edge, ConditionTypes.Ready, "False", "NotSelected");
    }

    /// <summary>A second test instance whose containers are removed at the end, even after a failure.</summary>
    private sealed class TestInstanceScope : IAsyncDisposable
    {
        public TestInstance Instance { get; } = new();
        public async ValueTask DisposeAsync() => await Instance.DisposeAsync();
    }
}
