using Agent.Core.Model;
using Agent.Core.Status;

namespace Agent.UnitTests.Status;

/// <summary>probe-18 F2: while the engine is unreachable, READY and the containers in status follow the last observed state.</summary>
public sealed class LastObservedServicesTests
{
    private static ServiceStatus Web(int ready, params string[] names) =>
        new("web", 2, ready, names.Select(n => new ContainerStatus(n, n + "-id", "running", "none", "h")).ToList());

    [Fact]
    public void Containers_last_seen_exited_are_shown_exited_and_not_counted_ready()
    {
        var shown = LastObservedServices.Apply([Web(2, "g-web-1", "g-web-2")], new Dictionary<string, (ContainerState, HealthState)>
        {
            ["g-web-1"] = (ContainerState.Exited, HealthState.None),
            ["g-web-2"] = (ContainerState.Running, HealthState.None),
        });
        var web = Assert.Single(shown);
        Assert.Equal(1, web.ReadyReplicas);
        Assert.Equal(["exited", "running"], web.Containers.Select(c => c.State));
    }

    [Fact]
    public void A_container_no_longer_seen_is_dropped_and_ready_never_grows()
    {
        var shown = LastObservedServices.Apply([Web(0, "g-web-1", "g-web-2")], new Dictionary<string, (ContainerState, HealthState)>
        {
            ["g-web-1"] = (ContainerState.Running, HealthState.Healthy),
        });
        var web = Assert.Single(shown);
        Assert.Equal(0, web.ReadyReplicas); // was not ready when last reconciled: the engine's absence makes nothing ready
        Assert.Equal("g-web-1", Assert.Single(web.Containers).Name);

        var unhealthy = LastObservedServices.Apply([Web(2, "g-web-1", "g-web-2")], new Dictionary<string, (ContainerState, HealthState)>
        {
            ["g-web-1"] = (ContainerState.Running, HealthState.Unhealthy),
            ["g-web-2"] = (ContainerState.Running, HealthState.Healthy),
        });
        Assert.Equal(1, Assert.Single(unhealthy).ReadyReplicas);
    }
}
