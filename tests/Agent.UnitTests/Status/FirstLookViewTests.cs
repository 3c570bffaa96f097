using Agent.Core.Model;
using Agent.Core.Status;
using static Agent.UnitTests.Planning.PlanFixtures;

namespace Agent.UnitTests.Status;

/// <summary>probe-33 F8: before its first reconcile since the agent started, a group showed READY "-" and AGE from the
/// restart; it shows its containers as listed, and AGE from the oldest.</summary>
public sealed class FirstLookViewTests
{
    private static readonly ObjectStatus Unreported = new()
    {
        Kind = ServiceGroup.KindName,
        Name = "g",
        Conditions = Conditions.WithDefaults([], Now),
    };

    private static ListedContainer Listed(string service, int replica, ContainerState state = ContainerState.Running, HealthState health = HealthState.None,
        bool healthKnown = true, string suffix = "", int hoursAgo = 1) =>
        new($"{service}{replica}{suffix}0123456789abcdef", $"g-{service}-{replica}{suffix}", service, replica, state, health, healthKnown, "h1", Now.AddHours(-hoursAgo));

    [Fact]
    public void Ready_counts_running_and_healthy_replicas_once_and_age_reaches_back_to_the_oldest_container()
    {
        var group = Group(Service("db"), Service("web", replicas: 3));
        var shown = FirstLookView.Of(Unreported, group,
        [
            Listed("db", 1, health: HealthState.Healthy, hoursAgo: 5),
            Listed("web", 1),
            Listed("web", 1, health: HealthState.Starting, suffix: "-next"), // an update's new container in its gate
            Listed("web", 2, state: ContainerState.Exited),
            Listed("web", 3, healthKnown: false), // started since the listing: its health is not known yet
        ]);

        Assert.Equal(Now.AddHours(-5), shown.Since);
        var (db, web) = (shown.Services.Single(s => s.Name == "db"), shown.Services.Single(s => s.Name == "web"));
        Assert.Equal((1, 1), (db.DesiredReplicas, db.ReadyReplicas));
        Assert.Equal((3, 1), (web.DesiredReplicas, web.ReadyReplicas));
        Assert.Equal(["g-web-1", "g-web-1-next", "g-web-2", "g-web-3"], web.Containers.Select(c => c.Name));
        Assert.Equal("web10123456", web.Containers[0].Id[..11]);
        Assert.Equal(12, web.Containers[0].Id.Length);
        Assert.Equal("exited", web.Containers[2].State);
        // Nothing is judged before the reconcile.
        Assert.Equal(("Unknown", "Reconciling"), (shown.Condition(ConditionTypes.Ready)!.Status, shown.Condition(ConditionTypes.Ready)!.Reason));
    }

    [Fact]
    public void A_group_with_no_container_yet_is_shown_as_before()
    {
        Assert.Same(Unreported, FirstLookView.Of(Unreported, Group(Service("db")), []));
    }
}
