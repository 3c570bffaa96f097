using Agent.Core.Planning;
using Agent.Core.Status;

namespace Agent.UnitTests.Status;

public sealed class GroupConditionsTests
{
    /// <summary>Every combination of what a reconcile can find and do.</summary>
    public static IEnumerable<ReconcileOutcome> Outcomes() =>
        from suspended in new[] { false, true }
        from operations in new[] { 0, 3 }
        from failures in new[] { Array.Empty<string>(), ["service:web:1 StartContainer failed: no such container"] }
        from rolledBack in new[] { Array.Empty<string>(), ["web@abc"] }
        from held in new[] { Array.Empty<Hold>(), [new Hold(Hold.RolledBack, "g-web-1: the update to spec abc was rolled back")], [new Hold(Hold.CrashLoopBackOff, "g-web-1: crash loop back-off")] }
        from notReady in new[] { null, "web 0/1 ready" }
        where (rolledBack.Length == 0 || failures.Length > 0) // a rollback is always reported with the failure that caused it
              && (failures.Length == 0 || operations > 0)
        select new ReconcileOutcome(7)
        {
            Suspended = suspended, Operations = operations, Failures = failures, RolledBack = rolledBack, Held = held, NotReady = notReady,
        };

    [Fact]
    public void Ready_Progressing_and_Degraded_are_always_set_and_never_contradict_each_other()
    {
        var count = 0;
        foreach (var outcome in Outcomes())
        {
            count++;
            var c = GroupConditions.Decide(outcome).ToDictionary(x => x.Type);
            var what = $"{outcome} held={outcome.Held.Count} failures={outcome.Failures.Count} rolledBack={outcome.RolledBack.Count}";
            Assert.Equal([ConditionTypes.Degraded, ConditionTypes.Progressing, ConditionTypes.Ready], c.Keys.Order());
            Assert.All(c.Values, v => Assert.False(string.IsNullOrEmpty(v.Reason), what));
            var (ready, degraded) = (c[ConditionTypes.Ready], c[ConditionTypes.Degraded]);

            // Never Ready and Degraded for the same reason at once.
            Assert.False(ready.Status && degraded.Status && ready.Reason == degraded.Reason, what);
            // Ready only when nothing failed, nothing is pending, every replica is ready and the group runs.
            if (ready.Status)
                Assert.True(!outcome.Suspended && outcome.Failures.Count == 0 && outcome.Operations == 0 && outcome.NotReady is null, what);
            // Degraded exactly when something failed, was rolled back or is held.
            Assert.Equal(outcome.Failures.Count > 0 || outcome.Held.Count > 0, degraded.Status);
            // A failed apply is never reported as ready or settled.
            if (outcome.Failures.Count > 0 && outcome.RolledBack.Count == 0)
                Assert.Equal(("ApplyFailed", false, "ApplyFailed"), (degraded.Reason, ready.Status, ready.Reason));
        }
        Assert.Equal(48, count);
    }

    [Fact]
    public void After_a_rollback_the_serving_replicas_are_ready_and_the_failed_update_is_degraded()
    {
        var c = GroupConditions.Decide(new ReconcileOutcome(3) { Held = [new Hold(Hold.RolledBack, "g-web-1: the update to spec abc was rolled back")] })
            .ToDictionary(x => x.Type);
        Assert.Equal((true, "ReplicasReady"), (c[ConditionTypes.Ready].Status, c[ConditionTypes.Ready].Reason));
        Assert.Equal((true, "RolledBack"), (c[ConditionTypes.Degraded].Status, c[ConditionTypes.Degraded].Reason));
        Assert.Equal((false, "RolledBack"), (c[ConditionTypes.Progressing].Status, c[ConditionTypes.Progressing].Reason));
    }

    [Fact]
    public void A_project_held_by_a_compose_conflict_is_not_progressing()
    {
        var c = GroupConditions.Decide(new ReconcileOutcome(1) { NotReady = "web 0/1 ready", Held = [new Hold(Hold.Conflict, "project p was started by docker compose")] })
            .ToDictionary(x => x.Type);
        Assert.False(c[ConditionTypes.Progressing].Status);
        Assert.Equal(Hold.Conflict, c[ConditionTypes.Progressing].Reason);
        Assert.False(c[ConditionTypes.Ready].Status);
        Assert.True(c[ConditionTypes.Degraded].Status);
    }

    [Theory]
    [InlineData(true, false, 1, 2, "True Updating generation 1 serving, applying generation 2: 4 operation(s)")] // start-first: the old replicas serve
    [InlineData(false, false, 1, 2, null)] // not ready before: stays as it was (ReplicasNotReady, ...)
    [InlineData(true, false, 2, 2, null)] // a heal of the applied generation
    [InlineData(true, true, 1, 2, "False Applying applying generation 2: 4 operation(s)")] // a held manifest's Ready no longer holds
    public void While_a_newer_generation_applies_Ready_never_says_UpToDate(bool wasReady, bool held, long observed, long generation, string? expected)
    {
        var ready = GroupConditions.ReadyWhileApplying(wasReady, held, observed, generation, $"applying generation {generation}: 4 operation(s)", stopsServing: false);
        Assert.Equal(expected, ready is null ? null : $"{ready.Status} {ready.Reason} {ready.Message}");
    }

    [Theory]
    [InlineData(true, 1, 2, "False Updating stop-first update: replicas of generation 1 stop before their replacements are healthy, applying generation 2: 4 operation(s)")]
    [InlineData(true, 2, 2, "False Updating stop-first update: replicas of generation 2 stop before their replacements are healthy, applying generation 2: 4 operation(s)")] // an env file changed: same generation, replicas stop all the same
    [InlineData(false, 1, 2, null)] // not ready before: stays as it was
    public void While_a_stop_first_update_stops_the_serving_replicas_Ready_is_false(bool wasReady, long observed, long generation, string? expected)
    {
        var ready = GroupConditions.ReadyWhileApplying(wasReady, false, observed, generation, $"applying generation {generation}: 4 operation(s)", stopsServing: true);
        Assert.Equal(expected, ready is null ? null : $"{ready.Status} {ready.Reason} {ready.Message}");
    }

    [Fact]
    public void A_converged_group_is_ready_and_not_degraded()
    {
        var c = GroupConditions.Decide(new ReconcileOutcome(3)).ToDictionary(x => x.Type);
        Assert.Equal(("True", "UpToDate"), (c[ConditionTypes.Ready].Status ? "True" : "False", c[ConditionTypes.Ready].Reason));
        Assert.Equal((false, "AsExpected"), (c[ConditionTypes.Degraded].Status, c[ConditionTypes.Degraded].Reason));
    }

    [Fact]
    public void A_name_held_by_someone_else_stalls_the_group_with_NameConflict_naming_the_holder()
    {
        var conflict = "container name g-web-1 is held by agent instance i2 (ServiceGroup g) (container 0123456789ab): it is not touched";
        var c = GroupConditions.Decide(new ReconcileOutcome(3)
        {
            Operations = 2, Failures = [$"service:web:1 CreateContainer failed: {conflict}"], NameConflicts = [conflict], NotReady = "web 0/1 ready",
        }).ToDictionary(x => x.Type);
        Assert.Equal((false, GroupConditions.NameConflict), (c[ConditionTypes.Ready].Status, c[ConditionTypes.Ready].Reason));
        Assert.Equal((false, GroupConditions.NameConflict), (c[ConditionTypes.Progressing].Status, c[ConditionTypes.Progressing].Reason));
        Assert.Equal((true, GroupConditions.NameConflict, conflict), (c[ConditionTypes.Degraded].Status, c[ConditionTypes.Degraded].Reason, c[ConditionTypes.Degraded].Message));
    }

    [Fact]
    public void A_name_conflict_beside_another_failure_is_an_ApplyFailed_retried_with_backoff()
    {
        var c = GroupConditions.Decide(new ReconcileOutcome(3)
        {
            Operations = 2, Failures = ["a failed: held", "b failed: engine said no"], NameConflicts = ["held"],
        }).ToDictionary(x => x.Type);
        Assert.Equal(("ApplyFailed", "Retrying"), (c[ConditionTypes.Ready].Reason, c[ConditionTypes.Progressing].Reason));
    }

    [Fact]
    public void Every_failing_service_and_every_hold_is_named_once_not_only_the_first()
    {
        // probe-60: two services failing for different reasons; describe showed the first only.
        var c = GroupConditions.Decide(new ReconcileOutcome(2)
        {
            Operations = 3,
            Failures = ["service:web:1 CreateContainer failed: image busybox:nope missing (imagePullPolicy: Never)", "service:api:1 PullImage failed: no registry",
                        "service:api:1 PullImage failed: no registry"],
            Held = [new Hold(Hold.DependencyNotRunning, "not done until g-db-1 runs: it is not made yet")],
        }).ToDictionary(x => x.Type);
        var all = "service:web:1 CreateContainer failed: image busybox:nope missing (imagePullPolicy: Never); service:api:1 PullImage failed: no registry; " +
                  "not done until g-db-1 runs: it is not made yet";
        Assert.Equal(("ApplyFailed", all), (c[ConditionTypes.Degraded].Reason, c[ConditionTypes.Degraded].Message));
        Assert.Equal(("ApplyFailed", all), (c[ConditionTypes.Ready].Reason, c[ConditionTypes.Ready].Message));
        Assert.Equal($"retrying with back-off: {all}", c[ConditionTypes.Progressing].Message);

        var held = GroupConditions.Decide(new ReconcileOutcome(2)
        {
            Held = [new Hold(Hold.CrashLoopBackOff, "g-web-1: crash loop back-off"), new Hold(Hold.RolledBack, "g-api-1: the update was rolled back")],
        }).Single(x => x.Type == ConditionTypes.Degraded);
        Assert.Equal((Hold.CrashLoopBackOff, "g-web-1: crash loop back-off; g-api-1: the update was rolled back"), (held.Reason, held.Message));
    }
}
