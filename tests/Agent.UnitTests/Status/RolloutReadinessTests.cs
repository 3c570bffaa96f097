using Agent.Core.Model;
using Agent.Core.Planning;
using Agent.Core.Status;

namespace Agent.UnitTests.Status;

/// <summary>probe-16 F8: READY during an update counts the replicas that serve (kubectl during a rollout).</summary>
public sealed class RolloutReadinessTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 5, 0, 0, TimeSpan.Zero);

    private static ObservedContainer C(string name, int replica, string hash, ContainerState state, HealthState health) =>
        new(name + "-id-0123456789", name, "web", replica, hash, state, health);

    private static ObservedContainer Serving(string name, int replica, string hash) => C(name, replica, hash, ContainerState.Running, HealthState.Healthy);

    [Fact]
    public void A_start_first_update_in_its_gate_counts_the_old_replicas_that_serve_and_a_new_one_only_once_it_passed_its_gate()
    {
        List<ObservedContainer> containers =
        [
            Serving("g-web-1", 1, "old"), Serving("g-web-2", 2, "old"),
            C("g-web-1-next", 1, "new", ContainerState.Running, HealthState.Starting),
            C("g-web-2-next", 2, "new", ContainerState.Running, HealthState.Unhealthy),
        ];
        Assert.Equal(2, ServiceReadiness.Serving(containers, 2, Now));
        Assert.Equal(0, ServiceReadiness.ServingSpec(containers, "new", 2, Now));

        containers[2] = Serving("g-web-1-next", 1, "new"); // passed its gate: replica 1 counts once, not twice
        Assert.Equal(2, ServiceReadiness.Serving(containers, 2, Now));
        Assert.Equal(1, ServiceReadiness.ServingSpec(containers, "new", 2, Now));
    }

    [Fact]
    public void A_stop_first_update_does_not_count_the_replica_it_stopped_nor_its_new_container_before_the_gate()
    {
        List<ObservedContainer> containers =
        [
            C("g-web-1", 1, "old", ContainerState.Exited, HealthState.None), Serving("g-web-2", 2, "old"),
            C("g-web-1-next", 1, "new", ContainerState.Running, HealthState.Starting),
        ];
        Assert.Equal(1, ServiceReadiness.Serving(containers, 2, Now));
        Assert.Equal(0, ServiceReadiness.ServingSpec(containers, "new", 2, Now));
        // Just started, health not inspected yet: not serving either.
        containers[2] = C("g-web-1-next", 1, "new", ContainerState.Running, HealthState.None) with { HealthUnknown = true };
        Assert.Equal(1, ServiceReadiness.Serving(containers, 2, Now));
    }

    [Fact]
    public void After_a_rollback_the_previous_spec_that_serves_counts_and_extra_replicas_never_do()
    {
        List<ObservedContainer> containers = [Serving("g-web-1", 1, "old"), Serving("g-web-2", 2, "old"), Serving("g-web-3", 3, "old")];
        Assert.Equal(2, ServiceReadiness.Serving(containers, 2, Now));
        Assert.Equal(0, ServiceReadiness.ServingSpec(containers, "new", 2, Now));
        // A crash-looping replica that is briefly running does not serve.
        containers[1] = containers[1] with { LastFailure = Now.AddSeconds(-3), Failures = 2 };
        Assert.Equal(1, ServiceReadiness.Serving(containers, 2, Now));
    }

    [Theory]
    [InlineData(2, 0, 2, "True Updating 2/2 replicas serving, updating: 0 of 2 replicas on generation 3|True Updating updating: 0 of 2 replicas on generation 3")] // start-first in its gate
    [InlineData(1, 0, 2, "False Updating 1/2 replicas serving, updating: 0 of 2 replicas on generation 3|True Updating updating: 0 of 2 replicas on generation 3")] // stop-first stopped one
    [InlineData(2, 1, 2, "True Updating 2/2 replicas serving, updating: 1 of 2 replicas on generation 3|True Updating updating: 1 of 2 replicas on generation 3")]
    [InlineData(0, 0, 0, null)] // nothing wanted (suspended)
    public void While_an_update_applies_Ready_follows_the_serving_count_and_Progressing_says_how_far_it_is(int serving, int onNew, int replicas, string? expected)
    {
        var c = GroupConditions.WhileUpdating(serving, onNew, replicas, 3);
        Assert.Equal(expected, c is var (r, p) ? $"{r.Status} {r.Reason} {r.Message}|{p.Status} {p.Reason} {p.Message}" : null);
    }
}
