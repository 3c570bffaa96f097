using Agent.Core.Model;
using Agent.Core.Status;
using Agent.IntegrationTests.Infrastructure;

namespace Agent.IntegrationTests.Compose;

/// <summary>probe-16 F5 with a real agent and engine: a ComposeProject manifest in another folder that names a running
/// drop-in stack's compose file. Another name is a second project from the same file (docker compose -p a / -p b): the
/// drop-in stack keeps its containers; a failed read of the claimant (its folder a dangling link) creates and removes
/// nothing, and its return changes nothing either. The same name is that project: nothing is pruned. Before the fix
/// (748cbc5) the claim pruned the running stack at once and the dangling link re-created it (flapping). A short
/// Agent:PruneDelay makes a wrong prune show at once; every check is through the docker CLI.</summary>
public sealed class ComposeClaimTests() : AgentScenario(new Dictionary<string, string?>
{
    ["Agent:PruneDelay"] = "00:00:00.100",
    ["Agent:ResyncInterval"] = "00:00:01",
})
{
    private string ComposeFile => $"services:\n  app:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n"
                                  + $"  db:\n    image: {TestEngine.Image}\n    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n";

    private static string Claimant(string name, string stack) =>
        $"apiVersion: agent/v1\nkind: ComposeProject\nmetadata: {{ name: {name} }}\nspec:\n  files: [../{stack}/compose.yaml]\n";

    /// <summary>Every container of the test instance as "id name state", as the docker CLI lists them.</summary>
    private async Task<List<string>> AllAsync() =>
        (await Containers.OfAsync(Instance)).Select(r => $"{r.Id} {r.Name} {r.State}").Order(StringComparer.Ordinal).ToList();

    /// <summary>The same containers, all running, over several resyncs and many times the prune delay.</summary>
    private async Task AssertUnchangedAsync(List<string> expected, string while_)
    {
        for (var i = 0; i < 6; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.True(expected.SequenceEqual(await AllAsync()), $"{while_}: expected\n{string.Join('\n', expected)}\ngot\n{string.Join('\n', await AllAsync())}");
        }
    }

    [Fact]
    public async Task A_claimant_of_another_name_runs_beside_the_drop_in_stack_and_its_failed_read_creates_and_removes_nothing()
    {
        var (stack, shop) = (Instance.Name("dstk"), Instance.Name("dshop"));
        Agent.Write($"{stack}/compose.yaml", ComposeFile);
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(stack);
        var stackIds = (await Containers.RunningAsync(Instance, stack, 2)).Select(r => r.Id).ToList();

        Agent.Write("cp/shop.yaml", Claimant(shop, stack));
        await Agent.WaitProjectReadyAsync(shop);
        var shopRows = await Containers.RunningAsync(Instance, shop, 2);
        Assert.All(shopRows, r => Assert.StartsWith(shop + "-", r.Name));
        Assert.Equal(stackIds, (await Containers.RunningAsync(Instance, stack, 2)).Select(r => r.Id).ToList());
        var both = await AllAsync();
        Assert.Equal(4, both.Count);
        await AssertUnchangedAsync(both, "the claimant added");

        // The claimant's folder becomes a dangling link: a failed read, which neither prunes shop nor re-makes anything.
        var cp = Path.Combine(Agent.Manifests, "cp");
        Directory.Move(cp, cp + "-away");
        try
        {
            File.CreateSymbolicLink(cp, Path.Combine(Agent.Manifests, "no-such-folder"));
            await Agent.WaitForConditionAsync(shop, ConditionTypes.Degraded, "True", within: TimeSpan.FromSeconds(30), kind: ServiceGroup.ComposeKindName);
            await AssertUnchangedAsync(both, "the claimant's folder a dangling link");
            Assert.Equal("True", Agent.Status.Get(new ObjectKey(ServiceGroup.ComposeKindName, stack))!.Condition(ConditionTypes.Ready)!.Status);
        }
        finally
        {
            File.Delete(cp);
            Directory.Move(cp + "-away", cp);
        }

        await Agent.WaitForConditionAsync(shop, ConditionTypes.Degraded, "False", within: TimeSpan.FromSeconds(30), kind: ServiceGroup.ComposeKindName);
        await Agent.WaitProjectReadyAsync(shop);
        await AssertUnchangedAsync(both, "the claimant's folder restored");
        await Agent.WaitProjectReadyAsync(stack);
    }

    [Fact]
    public async Task A_claimant_of_the_same_name_is_that_project_and_nothing_is_pruned()
    {
        var stack = Instance.Name("sstk");
        Agent.Write($"{stack}/compose.yaml", ComposeFile);
        await Agent.StartAsync();
        await Agent.WaitProjectReadyAsync(stack);
        var before = await AllAsync();
        Assert.Equal(2, before.Count);

        Agent.Write("cp/same.yaml", Claimant(stack, stack));
        var index = Path.Combine(Agent.StateDir, "manifest-files.json"); // which file defines what: written once the read placed it
        await Eventually.TrueAsync(() => Task.FromResult(File.Exists(index) && File.ReadAllText(index).Contains("same.yaml", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the read that found cp/same.yaml");
        await Agent.WaitProjectReadyAsync(stack);
        await AssertUnchangedAsync(before, "a manifest of the same name claims the stack's compose file");

        // Its read fails: the project is held at its last state, never pruned nor switched back and forth.
        var cp = Path.Combine(Agent.Manifests, "cp");
        Directory.Move(cp, cp + "-away");
        try
        {
            File.CreateSymbolicLink(cp, Path.Combine(Agent.Manifests, "no-such-folder"));
            await AssertUnchangedAsync(before, "the same-name claimant's folder a dangling link");
        }
        finally
        {
            File.Delete(cp);
            Directory.Move(cp + "-away", cp);
        }
        await Agent.WaitProjectReadyAsync(stack);
        await AssertUnchangedAsync(before, "the same-name claimant restored");
    }
}
