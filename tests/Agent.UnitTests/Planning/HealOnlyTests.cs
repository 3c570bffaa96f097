using Agent.Core.Planning;

namespace Agent.UnitTests.Planning;

public sealed class HealOnlyTests
{
    private static Operation Op(int id, OperationKind kind, params int[] after) => new(id, kind, $"service:s:{id}", "cause", after);

    [Fact]
    public void A_missing_replica_is_created_and_started_and_an_exited_one_started()
    {
        var plan = new Plan([
            Op(0, OperationKind.CreateNetwork), Op(1, OperationKind.EnsureImage), Op(2, OperationKind.CreateContainer, 0, 1),
            Op(3, OperationKind.StartContainer, 2), Op(4, OperationKind.WaitHealthy, 3), Op(5, OperationKind.StartContainer),
        ]);

        Assert.Equal([0, 1, 2, 3, 4, 5], HealOnly.Of(plan).Operations.Select(o => o.Id));
    }

    [Fact]
    public void Nothing_that_exists_is_stopped_replaced_renamed_removed_or_built_and_what_comes_after_such_a_step_is_dropped()
    {
        var plan = new Plan([
            Op(0, OperationKind.StopContainer), Op(1, OperationKind.RemoveContainer, 0),
            Op(2, OperationKind.CreateContainer, 1), Op(3, OperationKind.StartContainer, 2),
            Op(4, OperationKind.RenameContainer), Op(5, OperationKind.RestartContainer), Op(6, OperationKind.RemoveNetwork),
            Op(7, OperationKind.RemoveVolume), Op(8, OperationKind.BuildImage), Op(9, OperationKind.CreateContainer, 8),
            Op(10, OperationKind.CreateContainer) with { PreviousSpec = "{}" }, Op(11, OperationKind.WaitHealthy) with { Replaces = ("s", "abc") },
            Op(12, OperationKind.CreateContainer) with { RollbackOf = "s@abc" },
        ]) { Adopted = ["network:x"] };

        var healed = HealOnly.Of(plan);

        Assert.Empty(healed.Operations);
        Assert.Empty(healed.Adopted);
    }

    [Fact]
    public void An_empty_plan_stays_empty() => Assert.True(HealOnly.Of(Plan.Empty).IsEmpty);
}
