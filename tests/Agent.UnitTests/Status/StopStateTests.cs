using Agent.Core.Model;
using Agent.Core.Status;

namespace Agent.UnitTests.Status;

/// <summary>A stopped object and a down project read differently (STATUS Stopped / Down / Suspended), the same way for
/// both kinds: a ServiceGroup and a ComposeProject stopped through the API are both Stopped.</summary>
public sealed class StopStateTests
{
    private static readonly ObjectKey Group = new(ServiceGroup.KindName, "web");
    private static readonly ObjectKey Project = new(ServiceGroup.ComposeKindName, "shop");

    [Fact]
    public void A_running_object_has_no_hold()
    {
        Assert.Null(StopState.Of(Group, specSuspend: false, apiSuspended: false, down: false));
        Assert.Null(StopState.Of(Project, specSuspend: false, apiSuspended: false, down: false));
    }

    [Fact]
    public void A_stop_reads_Stopped_for_both_kinds_and_names_the_start()
    {
        var group = StopState.Of(Group, specSuspend: false, apiSuspended: true, down: false)!;
        var project = StopState.Of(Project, specSuspend: false, apiSuspended: true, down: false)!;
        Assert.Equal((StopState.Stopped, StopState.Stopped), (group.Reason, project.Reason));
        Assert.Equal(("stopped through the API", "stopped through the API"), (group.Why, project.Why));
        Assert.Equal("stopped: its containers are kept, stopped, until agent start servicegroup/web", group.Ready);
        Assert.Equal("stopped: its containers are kept, stopped, with its network and volumes, until agent start composeproject/shop", project.Ready);
    }

    [Fact]
    public void A_down_project_reads_Down_and_names_up()
    {
        var down = StopState.Of(Project, specSuspend: false, apiSuspended: true, down: true)!;
        Assert.Equal((StopState.Down, "taken down through the API"), (down.Reason, down.Why));
        Assert.Equal("down: its containers and network are removed, its volumes kept, until agent up composeproject/shop", down.Ready);
        var withVolumes = StopState.Of(Project, specSuspend: false, apiSuspended: true, down: true, volumes: true)!;
        Assert.Equal("taken down through the API, with its volumes", withVolumes.Why);
        Assert.Contains("its named volumes too", withVolumes.Ready);
    }

    [Fact]
    public void Down_is_a_ComposeProject_verb_only()
    {
        Assert.Equal(StopState.Stopped, StopState.Of(Group, specSuspend: false, apiSuspended: true, down: true)!.Reason);
    }

    [Fact]
    public void The_manifests_suspend_wins_and_reads_Suspended()
    {
        var group = StopState.Of(Group, specSuspend: true, apiSuspended: true, down: false)!;
        var project = StopState.Of(Project, specSuspend: true, apiSuspended: true, down: true)!;
        Assert.Equal((StopState.Suspended, "spec.suspend is true"), (group.Reason, group.Why));
        Assert.Equal((StopState.Suspended, "spec.suspend is true"), (project.Reason, project.Why));
        Assert.Contains("keeps it down", project.Ready);
    }

    [Fact]
    public void Ready_and_Progressing_of_a_suspended_group_carry_the_holds_reason()
    {
        var stop = StopState.Of(Project, specSuspend: false, apiSuspended: true, down: true)!;
        var c = GroupConditions.Decide(new ReconcileOutcome(2) { Suspended = true, Stop = stop }).ToDictionary(x => x.Type);
        Assert.Equal((false, StopState.Down, stop.Ready), (c[ConditionTypes.Ready].Status, c[ConditionTypes.Ready].Reason, c[ConditionTypes.Ready].Message));
        Assert.Equal((false, StopState.Down), (c[ConditionTypes.Progressing].Status, c[ConditionTypes.Progressing].Reason));
    }
}
