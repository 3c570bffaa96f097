using Agent.Core.Model;
using Agent.Core.Sources;
using Agent.Reconciliation;
using Agent.Sources;

namespace Agent.UnitTests.Reconciliation;

/// <summary>What the mass-prune guard counts: CronJobs and Jobs of the manifests are managed objects like groups, so
/// deleting most of them at once (a revision dropping them, a folder read empty) is held too.</summary>
public sealed class PruneJudgeTests
{
    private static readonly ObjectKey Group = new(ServiceGroup.KindName, "web");
    private static readonly ObjectKey Nightly = new(CronJob.KindName, "nightly");
    private static readonly ObjectKey Migrate = new(Job.KindName, "migrate");
    private static readonly ObjectKey ApiJob = new(Job.ImperativeKind, "adhoc-a1b2c3");

    private static DesiredEntry Entry(ObjectKey key) => new(key, null, 1, []);

    [Fact]
    public void Deleting_both_jobs_of_three_objects_is_held()
    {
        var (managed, removals) = PruneGate.Judge([Group, Nightly], [Nightly, Migrate], [Entry(Group)], _ => null);
        Assert.Equal(3, managed);
        Assert.Equal([Nightly, Migrate], removals.OrderBy(k => k.Kind).ThenBy(k => k.Name));
        var decision = PruneGuard.Default.Decide(managed, removals);
        Assert.True(decision.Blocked);
        Assert.Contains("would remove 2 of 3 managed objects", decision.Message);
        Assert.Contains("CronJob/nightly", decision.Message);
    }

    [Fact]
    public void A_job_known_only_by_its_history_in_the_state_dir_counts()
    {
        // A Job that ran to its end has no container left, only its history: still one of the managed objects.
        var (managed, removals) = PruneGate.Judge([], [Migrate], [Entry(Group)], _ => null);
        Assert.Equal(2, managed);
        Assert.Equal([Migrate], removals);
    }

    [Fact]
    public void Jobs_whose_manifests_are_there_are_not_removals_and_api_jobs_are_not_counted()
    {
        var (managed, removals) = PruneGate.Judge([Group, Nightly, ApiJob], [Nightly, Migrate, ApiJob], [Entry(Group), Entry(Nightly), Entry(Migrate)], _ => null);
        Assert.Equal(3, managed);
        Assert.Empty(removals);
    }

    [Fact]
    public void A_job_held_for_another_reason_is_not_one_of_the_removals()
    {
        var (managed, removals) = PruneGate.Judge([Group], [Nightly, Migrate], [Entry(Group)], k => k == Nightly ? "kept: GitRepository apps, which brought it, was deleted with prune: false" : null);
        Assert.Equal(3, managed);
        Assert.Equal([Migrate], removals);
        Assert.False(PruneGuard.Default.Decide(managed, removals).Blocked);
    }

    [Fact]
    public void A_job_no_longer_selected_by_this_host_is_a_removal()
    {
        var (_, removals) = PruneGate.Judge([], [Nightly], [Entry(Group), Entry(Nightly) with { NotSelected = "needs role=edge" }], _ => null);
        Assert.Equal([Nightly], removals);
    }

    [Fact]
    public void A_held_removal_stays_one_while_a_repository_without_a_checkout_keeps_everything_and_stays_held_after()
    {
        // probe-30 F6 (HIGH): a GitRepository added (even one that can never fetch) made every removal "kept" for a read:
        // 0 removals ended the hold, and once the repository went the held objects were pruned unconfirmed.
        var unfetched = (ObjectKey _) => "GitRepository bogus has no revision checked out yet; nothing is pruned until it has";
        var held = new HashSet<ObjectKey> { Nightly, Migrate };
        var (managed, removals) = PruneGate.Judge([Group, Nightly, Migrate], [], [Entry(Group)], unfetched, held);
        Assert.Equal(3, managed);
        Assert.Equal(held, removals);
        Assert.True(PruneGuard.Default.Decide(managed, removals, held).Blocked);
        // Not held before: a read that cannot judge deletions removes nothing.
        Assert.Empty(PruneGate.Judge([Group, Nightly, Migrate], [], [Entry(Group)], unfetched).Removals);
        // Later, with more objects (within the guard's share now): what was held stays held until confirmed.
        var more = Enumerable.Range(1, 10).Select(i => new ObjectKey(ServiceGroup.KindName, $"more{i}")).ToList();
        var (after, stillRemoved) = PruneGate.Judge([Group, Nightly, Migrate, .. more], [], [Entry(Group), .. more.Select(Entry)], _ => null, held);
        Assert.True(PruneGuard.Default.Decide(after, stillRemoved, held).Blocked);
    }
}
