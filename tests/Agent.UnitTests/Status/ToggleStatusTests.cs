using Agent.Core.Model;
using Agent.Core.Status;
using Agent.Status;

namespace Agent.UnitTests.Status;

/// <summary>An up/down asked through the API shows at once, and never as Suspended beside "up requested".</summary>
public sealed class ToggleStatusTests
{
    private static readonly ObjectKey Shop = new(ServiceGroup.ComposeKindName, "shop");

    private static Condition Of(StatusStore store, string type) =>
        store.List().Single().Conditions.Single(c => c.Type == type);

    [Fact]
    public void Up_after_a_down_turns_Suspended_false_at_once_and_down_turns_it_true()
    {
        var store = new StatusStore(TimeProvider.System);
        store.MarkToggled(Shop, suspending: true, "Down");
        Assert.Equal("True", Of(store, ConditionTypes.Suspended).Status);
        Assert.Equal(("Down", "taken down through the API"), (Of(store, ConditionTypes.Suspended).Reason, Of(store, ConditionTypes.Suspended).Message));

        store.MarkToggled(Shop, suspending: false, "Up");
        Assert.Equal("False", Of(store, ConditionTypes.Suspended).Status);
        Assert.Equal("UpRequested", Of(store, ConditionTypes.Progressing).Reason);
        Assert.Equal("False", Of(store, ConditionTypes.Ready).Status);
    }

    [Fact]
    public void A_stop_reads_Stopped_at_once_not_Down()
    {
        var store = new StatusStore(TimeProvider.System);
        store.MarkToggled(Shop, suspending: true, "Stop");
        Assert.Equal(("True", "Stopped", "stopped through the API"),
            (Of(store, ConditionTypes.Suspended).Status, Of(store, ConditionTypes.Suspended).Reason, Of(store, ConditionTypes.Suspended).Message));
        Assert.Equal("StopRequested", Of(store, ConditionTypes.Ready).Reason);
    }

    [Fact]
    public void Up_of_an_object_held_by_spec_suspend_stays_Suspended()
    {
        var store = new StatusStore(TimeProvider.System);
        store.MarkToggled(Shop, suspending: false, "Up", specSuspend: true);
        Assert.Equal("True", Of(store, ConditionTypes.Suspended).Status);
        Assert.Equal("spec.suspend is true", Of(store, ConditionTypes.Suspended).Message);
    }
}
