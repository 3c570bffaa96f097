using Agent.Core.Model;
using Agent.Core.Status;
using Agent.Status;

namespace Agent.UnitTests.Status;

/// <summary>What an object whose removal the mass-prune guard holds says, as its reconcile and the guard mark it.</summary>
public sealed class PruneBlockedStatusTests
{
    private static readonly ObjectKey Web = new(ServiceGroup.KindName, "web");

    private static Condition Of(StatusStore store, string type) =>
        store.List().Single().Conditions.Single(c => c.Type == type);

    [Fact]
    public void The_guards_own_notice_keeps_what_the_reconcile_said_of_the_replicas_held_down()
    {
        var store = new StatusStore(TimeProvider.System);
        store.MarkPruneBlocked(Web, "3 of 4 objects would go", "1 of 2 replicas is down; its removal is held by the mass-prune guard");
        store.MarkPruneBlocked(Web, "3 of 4 objects would go, confirm with agent prune confirm"); // the guard's next judgement
        Assert.Equal("1 of 2 replicas is down; its removal is held by the mass-prune guard", Of(store, ConditionTypes.Degraded).Message);
        Assert.Equal("3 of 4 objects would go, confirm with agent prune confirm", Of(store, ConditionTypes.PruneBlocked).Message);

        var fresh = new StatusStore(TimeProvider.System);
        fresh.MarkPruneBlocked(Web, "3 of 4 objects would go");
        Assert.StartsWith("its manifest is gone and the mass-prune guard holds its removal", Of(fresh, ConditionTypes.Degraded).Message);
    }
}
