using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Core.Sources;
using Agent.Core.Status;
using Agent.Reconciliation;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.UnitTests.Reconciliation;

/// <summary>probe-15j M6: a confirmed mass prune that a kill -9 interrupted is finished at the next start, not held again
/// with some replicas already stopped; and a held object whose replicas are down says so.</summary>
public sealed class PruneConfirmationTests : IDisposable
{
    private static readonly ObjectKey A = new(ServiceGroup.KindName, "a");
    private static readonly ObjectKey B = new(ServiceGroup.KindName, "b");
    private static readonly ObjectKey C = new(ServiceGroup.KindName, "c");
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-prune-");

    public void Dispose() => dir.Delete(recursive: true);

    [Fact]
    public void A_confirmed_removal_still_in_the_engine_goes_ahead_and_is_not_held_again()
    {
        // After the restart b and c still have containers: 2 of 3 would trip the guard, but both were confirmed.
        var (decision, standing) = PruneGuard.Default.Decide(3, new HashSet<ObjectKey> { B, C }, new HashSet<ObjectKey>(), new HashSet<ObjectKey> { B, C });
        Assert.False(decision.Blocked);
        Assert.Equal([B, C], standing.OrderBy(k => k.Name));
    }

    [Fact]
    public void Removals_beside_a_confirmed_prune_under_way_are_judged_against_what_stays()
    {
        // probe-27 F3.0 (HIGH): 5 of 8 confirmed; while they were pruned, 3 more manifests went: 3 of 8 is under half and
        // they were removed too, the whole host emptied on a confirmation that named 5. They are 3 of the 3 that stay.
        var confirmed = Enumerable.Range(1, 5).Select(i => new ObjectKey(ServiceGroup.KindName, $"g{i}")).ToHashSet();
        var later = Enumerable.Range(6, 3).Select(i => new ObjectKey(ServiceGroup.KindName, $"g{i}")).ToHashSet();
        var (decision, standing) = PruneGuard.Default.Decide(8, confirmed.Union(later).ToHashSet(), new HashSet<ObjectKey>(), confirmed);
        Assert.True(decision.Blocked, decision.Message);
        Assert.Equal(later.OrderBy(k => k.Name), decision.Removals);
        Assert.Contains("would remove 3 of 3 managed objects", decision.Message);
        Assert.Equal(5, standing.Count); // the confirmed prune goes on
        // One more deletion among many that stay is judged as usual: 1 of 3.
        var (one, _) = PruneGuard.Default.Decide(8, confirmed.Append(later.First()).ToHashSet(), new HashSet<ObjectKey>(), confirmed);
        Assert.False(one.Blocked, one.Message);
    }

    [Fact]
    public void Removals_already_under_way_are_going_and_are_never_listed_as_held()
    {
        // probe-28 F8: g1-g3 (3 of 12, within a 30% guard) were being pruned when one more file went: 4 of 13 was held,
        // listing g1-g3 as kept while their removal went on. What stays is judged: "other" alone is 1 of 10.
        var guard = PruneGuard.Parse("30%");
        var pruning = Enumerable.Range(1, 3).Select(i => new ObjectKey(ServiceGroup.KindName, $"g{i}")).ToHashSet();
        var other = new ObjectKey(ServiceGroup.KindName, "other");
        var none = new HashSet<ObjectKey>();
        var (one, _) = guard.Decide(13, pruning.Append(other).ToHashSet(), none, none, pruning);
        Assert.False(one.Blocked, one.Message);
        Assert.Equal([other], one.Removals);

        // Four more of the ten that stay are held, and only they are listed.
        var later = Enumerable.Range(4, 4).Select(i => new ObjectKey(ServiceGroup.KindName, $"g{i}")).ToHashSet();
        var (held, _) = guard.Decide(13, pruning.Union(later).ToHashSet(), none, none, pruning);
        Assert.True(held.Blocked, held.Message);
        Assert.Equal(later.OrderBy(k => k.Name), held.Removals);
        Assert.Contains("would remove 4 of 10 managed objects", held.Message);

        // An earlier prune that is no removal any more (its manifest is back) counts as managed again.
        var (back, _) = guard.Decide(13, later.Take(3).ToHashSet(), none, none, pruning);
        Assert.False(back.Blocked, back.Message); // 3 of 13, not 3 of 10
        Assert.Equal(13, back.Managed);
    }

    [Fact]
    public void A_confirmation_lapses_once_its_object_is_no_removal_and_never_covers_another()
    {
        // b's manifest came back (no removal), c is gone already: neither confirmation stands; a's new deletion is judged.
        var (decision, standing) = PruneGuard.Default.Decide(3, new HashSet<ObjectKey> { A }, new HashSet<ObjectKey>(), new HashSet<ObjectKey> { B, C });
        Assert.Empty(standing);
        Assert.False(decision.Blocked);
        Assert.Equal([A], decision.Removals);

        // Only b was confirmed: a and c deleted besides are 2 of 3, held as usual.
        var (others, still) = PruneGuard.Default.Decide(3, new HashSet<ObjectKey> { A, B, C }, new HashSet<ObjectKey>(), new HashSet<ObjectKey> { B });
        Assert.True(others.Blocked);
        Assert.Equal([A, C], others.Removals);
        Assert.Equal([B], still);
    }

    [Fact]
    public void The_confirmation_is_kept_in_the_state_dir_and_wins_over_a_hold_written_before_it()
    {
        var holds = new PruneHolds(dir.FullName, NullLogger.Instance);
        holds.Save(new HashSet<ObjectKey> { B, C });
        holds.SaveConfirmed(new HashSet<ObjectKey> { B, C }); // killed before prune-held.json was emptied

        var kept = new PruneHolds(dir.FullName, NullLogger.Instance).Load();
        Assert.Empty(kept.StillHeld);
        Assert.Equal([B, C], kept.Confirmed.OrderBy(k => k.Name));
        Assert.Equal("[\"ServiceGroup/b\",\"ServiceGroup/c\"]\n", File.ReadAllText(Path.Combine(dir.FullName, PruneHolds.ConfirmedFileName)));
    }

    [Fact]
    public void A_torn_confirmation_reads_as_none_so_the_removals_are_held_again()
    {
        var holds = new PruneHolds(dir.FullName, NullLogger.Instance);
        holds.Save(new HashSet<ObjectKey> { B, C });
        File.WriteAllText(holds.ConfirmedFile, "[\"ServiceGroup/b\",");
        var kept = holds.Load();
        Assert.Empty(kept.Confirmed);
        Assert.Equal([B, C], kept.StillHeld.OrderBy(k => k.Name));
    }

    private static ObservedContainer Container(string name, ContainerState state) => new(name, name, "web", 1, "h", state, HealthState.None);

    [Fact]
    public void A_held_object_with_a_stopped_replica_is_not_healthy_and_names_it()
    {
        var down = HeldReplicas.Down([Container("b-web-1", ContainerState.Running), Container("b-web-2", ContainerState.Exited)],
            "its removal is held by the mass-prune guard");
        Assert.Equal("1 of 2 container(s) not running: b-web-2; not started again while its removal is held by the mass-prune guard", down);
        Assert.Null(HeldReplicas.Down([Container("b-web-1", ContainerState.Running)], "held"));
    }
}
