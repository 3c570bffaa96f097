using Agent.Core.Model;
using Agent.Core.Planning;
using static Agent.UnitTests.Planning.PlanFixtures;

namespace Agent.UnitTests.Planning;

/// <summary>A prune abandoned half-way (the manifest came back): what it stopped but did not remove is started again.</summary>
public sealed class PruneUndoTests
{
    private static readonly ServiceSpec A = Service("a");
    private static readonly ServiceSpec B = Service("b");

    private static Plan Prune() =>
        Planner.PlanGroup(new PlanInput(new ObjectKey("ServiceGroup", "g"), null, Observed(Running(A, 1), Running(B, 1)), Labels, Now));

    private static int Id(Plan plan, OperationKind kind, string target) => plan.Operations.Single(o => o.Kind == kind && o.Target == target).Id;

    [Fact]
    public void A_prune_because_the_host_is_no_longer_selected_says_so_not_manifest_deleted()
    {
        // probe-13b B6: the log read "RemoveContainer: manifest deleted" while the manifest was there, placed elsewhere.
        var text = PlanText(null, Observed(Running(A, 1)), i => i with { PruneReason = "not selected by this host's labels (spec.placement)" });
        Assert.Contains("container:g-a-1, RemoveContainer, not selected by this host's labels (spec.placement)", text);
        Assert.Contains("network:g_default, RemoveNetwork, not selected by this host's labels", text);
        Assert.DoesNotContain("manifest deleted", text);
        Assert.Contains("RemoveContainer, manifest deleted", PlanText(null, Observed(Running(A, 1))));
    }

    [Fact]
    public void A_container_stopped_whose_removal_was_abandoned_is_started_again_and_one_removed_is_left_to_the_next_reconcile()
    {
        var prune = Prune();
        // a: stopped and removed before the manifest came back; b: stopped, its removal (and the network's) abandoned.
        var completed = new HashSet<int> { Id(prune, OperationKind.StopContainer, "id-a-1"), Id(prune, OperationKind.RemoveContainer, "id-a-1"), Id(prune, OperationKind.StopContainer, "id-b-1") };
        var abandoned = prune.Operations.Select(o => o.Id).Except(completed).ToHashSet();

        var undo = PruneUndo.Plan(prune, completed, abandoned);

        var start = Assert.Single(undo.Operations);
        Assert.Equal((OperationKind.StartContainer, "id-b-1", "the manifest is back: its prune was abandoned"), (start.Kind, start.Target, start.Cause));
    }

    [Fact]
    public void A_stop_that_did_not_run_or_a_prune_that_ran_through_starts_nothing()
    {
        var prune = Prune();
        var all = prune.Operations.Select(o => o.Id).ToHashSet();
        Assert.True(PruneUndo.Plan(prune, new HashSet<int>(), all).IsEmpty);
        Assert.True(PruneUndo.Plan(prune, all, new HashSet<int>()).IsEmpty);
    }
}
