using Agent.Core.Model;
using Agent.Core.Status;

namespace Agent.UnitTests.Status;

/// <summary>probe-18 F2: while the engine is unreachable, READY and the containers in status are read from the cache's
/// last observed state, at read time.</summary>
public sealed class LastObservedViewTests
{
    private static ObjectStatus Group(int ready, params string[] names) => new()
    {
        Kind = ServiceGroup.KindName, Name = "g",
        Services = [new ServiceStatus("web", 2, ready, names.Select(n => new ContainerStatus(n, Id(n)[..12], "running", "none", "h")).ToList())],
    };

    private static string Id(string name) => (name.GetHashCode() & 0x7fffffff).ToString("x8").PadRight(64, '0');

    private static LastSeenContainer Seen(string name, ContainerState state, HealthState health = HealthState.None) => new(Id(name), name, state, health);

    [Fact]
    public void Containers_last_seen_exited_read_exited_and_are_not_counted_ready()
    {
        var shown = LastObservedView.Of(Group(2, "g-web-1", "g-web-2"), [Seen("g-web-1", ContainerState.Exited), Seen("g-web-2", ContainerState.Running)]);

        var web = Assert.Single(shown.Services);
        Assert.Equal(1, web.ReadyReplicas);
        Assert.Equal(["exited", "running"], web.Containers.Select(c => c.State));
        Assert.Equal(["g-web-1", "g-web-2"], web.Containers.Select(c => c.Name));
        Assert.All(web.Containers, c => Assert.Equal("h", c.SpecHash)); // the rest of what status says is kept

        var allExited = LastObservedView.Of(Group(2, "g-web-1", "g-web-2"), [Seen("g-web-1", ContainerState.Exited), Seen("g-web-2", ContainerState.Exited)]);
        Assert.Equal(0, allExited.Services.Single().ReadyReplicas); // READY 0/2 beside two exited containers
        Assert.Equal(2, allExited.Services.Single().DesiredReplicas);
    }

    [Fact]
    public void A_container_no_longer_seen_is_dropped_and_ready_never_grows()
    {
        var shown = LastObservedView.Of(Group(0, "g-web-1", "g-web-2"), [Seen("g-web-1", ContainerState.Running, HealthState.Healthy)]);
        var web = Assert.Single(shown.Services);
        Assert.Equal(0, web.ReadyReplicas); // not ready when last reconciled: the engine's absence makes nothing ready
        Assert.Equal("g-web-1", Assert.Single(web.Containers).Name);

        var unhealthy = LastObservedView.Of(Group(2, "g-web-1", "g-web-2"), [Seen("g-web-1", ContainerState.Running, HealthState.Unhealthy), Seen("g-web-2", ContainerState.Running, HealthState.Healthy)]);
        Assert.Equal(1, unhealthy.Services.Single().ReadyReplicas);
        Assert.Equal(["unhealthy", "healthy"], unhealthy.Services.Single().Containers.Select(c => c.Health));
    }

    [Fact]
    public void Containers_are_matched_by_short_id_then_by_name_and_objects_without_services_are_kept_as_they_are()
    {
        var stored = Group(2, "g-web-1", "g-web-2");
        var recreated = new LastSeenContainer(new string('f', 64), "g-web-2", ContainerState.Exited, HealthState.None); // same name, other id
        var shown = LastObservedView.Of([stored, new ObjectStatus { Kind = CronJob.KindName, Name = "c" }], [Seen("g-web-1", ContainerState.Running), recreated]);

        Assert.Equal(["running", "exited"], shown[0].Services.Single().Containers.Select(c => c.State));
        Assert.Equal(1, shown[0].Services.Single().ReadyReplicas);
        Assert.Empty(shown[1].Services);
    }
}
